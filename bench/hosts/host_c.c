/* The C ABI host for scripts/bench-hosts.sh: compiles the .thr files given on the command line
 * (in order) with thr_ruleset_compile_files, writes the decisions of the first SAMPLE lines to
 * SAMPLE_OUT, then times thr_ruleset_evaluate_json (+ thr_string_free) over every line of LINES,
 * PASSES times after one untimed pass, printing each pass's total in nanoseconds, one a line.
 *
 *   host_c LINES PASSES SAMPLE SAMPLE_OUT RULE.thr...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thresholds.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return NULL; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); return NULL; }
  fclose(f);
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s LINES PASSES SAMPLE SAMPLE_OUT RULE.thr...\n", argv[0]);
    return 2;
  }
  int passes = atoi(argv[2]);
  size_t sample = (size_t)atol(argv[3]);
  size_t nfiles = (size_t)(argc - 5);
  thr_source *files = calloc(nfiles, sizeof *files);
  for (size_t i = 0; i < nfiles; i++) {
    const char *path = argv[5 + i];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    files[i].name = base;
    files[i].name_len = strlen(base);
    files[i].text = slurp(path, &files[i].text_len);
    if (!files[i].text) return 2;
  }
  thr_ruleset *rs = NULL;
  thr_error *err = NULL;
  if (thr_ruleset_compile_files(files, nfiles, NULL, &rs, &err) != THR_OK) {
    fprintf(stderr, "compile: %s\n", thr_error_json(err));
    thr_error_free(err);
    return 2;
  }

  size_t len = 0;
  char *text = slurp(argv[1], &len);
  if (!text) return 2;
  size_t cap = 1024, n = 0;
  const char **line = malloc(cap * sizeof *line);
  size_t *line_len = malloc(cap * sizeof *line_len);
  for (char *p = text; p < text + len;) {
    char *nl = memchr(p, '\n', (size_t)(text + len - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
    if (l > 0) {
      if (n == cap) {
        cap *= 2;
        line = realloc(line, cap * sizeof *line);
        line_len = realloc(line_len, cap * sizeof *line_len);
      }
      line[n] = p;
      line_len[n] = l;
      n++;
    }
    p += l + 1;
  }

  FILE *out = fopen(argv[4], "w");
  if (!out) { perror(argv[4]); return 2; }
  for (int pass = -1; pass < passes; pass++) {
    long long t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
      char *decision = NULL;
      if (thr_ruleset_evaluate_json(rs, line[i], line_len[i], &decision, &err) != THR_OK) {
        fprintf(stderr, "line %zu: %s\n", i + 1, thr_error_json(err));
        thr_error_free(err);
        return 1;
      }
      if (pass < 0 && i < sample) fprintf(out, "%s\n", decision);
      thr_string_free(decision);
    }
    long long t1 = now_ns();
    if (pass >= 0) printf("%lld\n", t1 - t0);
    else fclose(out);
  }
  thr_ruleset_free(rs);
  free(line);
  free(line_len);
  free(text);
  for (size_t i = 0; i < nfiles; i++) free((void *)files[i].text);
  free(files);
  return 0;
}

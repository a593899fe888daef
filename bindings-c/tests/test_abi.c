/*
 * The C ABI test suite: every conformance vector through the ABI (byte-identical decisions, the
 * same error codes as the Rust runner), every error path, and many threads on one ruleset.
 *
 * Usage: test_abi FIXTURE REPO_ROOT   (FIXTURE is written by gen_fixture.py)
 * THR_TEST=substr runs only the vectors whose name contains substr;
 * THR_THREAD_ITERS=n sets the evaluations per thread (default 40).
 * Prints "N passed, N failed" last; exits 1 if anything failed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresholds.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      passed++;                                            \
    } else {                                               \
      failed++;                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
    }                                                      \
  } while (0)

/* A pointer value no call may write over an out-parameter on failure. */
#define SENTINEL ((void *)(uintptr_t)0x5eed)

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = 0;
    *len = (size_t)n;
  }
  return buf;
}

/* The codes of the error diagnostics (severity "error"), in order, one a line. */
static char *error_codes(const thr_error *e) {
  size_t cap = 1, n = thr_error_diagnostic_count(e);
  for (size_t i = 0; i < n; i++) cap += strlen(thr_error_diagnostic_code(e, i)) + 1;
  char *s = calloc(cap, 1);
  for (size_t i = 0; i < n; i++) {
    if (!streq(thr_error_diagnostic_severity(e, i), "error")) continue;
    strcat(s, thr_error_diagnostic_code(e, i));
    strcat(s, "\n");
  }
  return s;
}

/* ---------------------------------------------------------------------------------------------
 * Conformance vectors */

typedef struct {
  char tag;
  char *data;
  size_t len;
} field;

/* Reads one `<tag> <len>\n<bytes>\n` field; returns 0 at end of file. */
static int read_field(FILE *f, field *out) {
  char line[64];
  if (!fgets(line, sizeof line, f)) return 0;
  size_t len;
  char tag;
  if (sscanf(line, "%c %zu", &tag, &len) != 2) return 0;
  /* Exactly `len` bytes, no terminator: the ABI must not read past them (ASan checks). */
  char *data = malloc(len ? len : 1);
  if (fread(data, 1, len, f) != len || fgetc(f) != '\n') {
    free(data);
    return 0;
  }
  out->tag = tag;
  out->data = data;
  out->len = len;
  return 1;
}

#define MAX_FIELDS 64

static void run_vectors(const char *fixture) {
  FILE *f = fopen(fixture, "rb");
  CHECK(f != NULL, "cannot open fixture %s", fixture);
  if (!f) return;
  const char *filter = getenv("THR_TEST");
  field fields[MAX_FIELDS];
  size_t nf = 0;
  int ran = 0, more = 1;
  while (more) {
    field fl;
    more = read_field(f, &fl);
    /* A vector ends at the next V or at end of file. */
    if ((!more || fl.tag == 'V') && nf > 0) {
      char *name = strndup(fields[0].data, fields[0].len);
      if (!filter || strstr(name, filter)) {
        ran++;
        const field *src = NULL, *facts = NULL, *want = NULL, *request = NULL;
        thr_source files[MAX_FIELDS];
        size_t nfiles = 0;
        int want_decision = 0;
        for (size_t i = 1; i < nf; i++) {
          field *x = &fields[i];
          if (x->tag == 'S') src = x;
          if (x->tag == 'N') {
            files[nfiles].name = x->data;
            files[nfiles].name_len = x->len;
          }
          if (x->tag == 'T') {
            files[nfiles].text = x->data;
            files[nfiles].text_len = x->len;
            nfiles++;
          }
          if (x->tag == 'X') facts = x;
          if (x->tag == 'Q') request = x;
          if (x->tag == 'D' || x->tag == 'E') {
            want = x;
            want_decision = x->tag == 'D';
          }
        }
        thr_ruleset *rs = NULL;
        thr_error *err = NULL;
        char *out = NULL;
        thr_status st = src ? thr_ruleset_compile(src->data, src->len, &rs, &err)
                            : thr_ruleset_compile_files(files, nfiles, NULL, &rs, &err);
        if (st == THR_OK)
          st = request ? thr_ruleset_evaluate_json_with(rs, facts->data, facts->len, request->data,
                                                        request->len, &out, &err)
                       : thr_ruleset_evaluate_json(rs, facts->data, facts->len, &out, &err);
        if (want_decision) {
          int same = st == THR_OK && strlen(out) == want->len && memcmp(out, want->data, want->len) == 0;
          CHECK(same, "vector %s: decision differs\n  got:  %s\n  want: %.*s", name,
                st == THR_OK ? out : thr_error_json(err), (int)want->len, want->data);
        } else {
          char *got = st == THR_OK ? NULL : error_codes(err);
          int same = got && strlen(got) == want->len && memcmp(got, want->data, want->len) == 0;
          CHECK(same, "vector %s: error codes differ\n  got:  %s\n  want: %.*s", name,
                got ? got : out, (int)want->len, want->data);
          /* The status agrees with the first code, and the JSON carries it. */
          if (st != THR_OK) {
            CHECK(strstr(thr_error_json(err), thr_error_code(err)) != NULL, "vector %s: code not in JSON", name);
            CHECK(thr_error_status(err) == st, "vector %s: thr_error_status", name);
          }
          free(got);
        }
        thr_string_free(out);
        thr_error_free(err);
        thr_ruleset_free(rs);
      }
      free(name);
      for (size_t i = 0; i < nf; i++) free(fields[i].data);
      nf = 0;
    }
    if (more) {
      if (nf < MAX_FIELDS) {
        fields[nf++] = fl;
      } else {
        free(fl.data);
      }
    }
  }
  fclose(f);
  CHECK(ran > 0, "no vectors ran");
  printf("vectors: %d ran\n", ran);
}

/* ---------------------------------------------------------------------------------------------
 * Error paths */

static const char SMALL[] =
    "ruleset \"small\" version \"2\"\n"
    "levels { low \"Low\" -> p  high \"High\" -> p }\n"
    "pathways { p \"P\" \"Do P.\" }\n"
    "guidance g \"G\"\n"
    "fact flag: bool { question \"Is it flagged?\" }\n"
    "fact n: int 0..10 { question \"How many?\" }\n"
    "rule r1 { when flag then level high cite g \"s1\" because \"flagged\" }\n"
    "rule r2 { when n > 5 then level high cite g \"s2\" because \"many\" }\n";

static thr_ruleset *small_ruleset(void) {
  thr_ruleset *rs = NULL;
  thr_error *err = NULL;
  thr_status st = thr_ruleset_compile(SMALL, strlen(SMALL), &rs, &err);
  CHECK(st == THR_OK, "small rules compile: %s", err ? thr_error_json(err) : "");
  thr_error_free(err);
  return rs;
}

static void test_version(void) {
  CHECK(thr_abi_version() == THR_ABI_VERSION, "abi version");
  char want[64];
  snprintf(want, sizeof want, "%d.%d.%d", THR_VERSION_MAJOR, THR_VERSION_MINOR, THR_VERSION_PATCH);
  CHECK(streq(thr_version(), want), "thr_version %s, want %s", thr_version(), want);
}

/* A failing call: the status, the error's status and code, and out/err handling. */
static void expect_failure(const char *what, thr_status st, thr_error *err, thr_status want_status,
                           const char *want_code) {
  CHECK(st == want_status, "%s: status %d, want %d", what, (int)st, (int)want_status);
  CHECK(err != NULL && err != SENTINEL, "%s: no error written", what);
  if (!err || err == SENTINEL) return;
  CHECK(thr_error_status(err) == want_status, "%s: thr_error_status", what);
  CHECK(streq(thr_error_code(err), want_code), "%s: code %s, want %s", what, thr_error_code(err), want_code);
  CHECK(thr_error_message(err) && strlen(thr_error_message(err)) > 0, "%s: empty message", what);
  const char *json = thr_error_json(err);
  char needle[128];
  snprintf(needle, sizeof needle, "\"code\":\"%s\"", want_code);
  CHECK(json && json[0] == '{' && strstr(json, needle), "%s: json %s", what, json);
  CHECK(json && strstr(json, "\"class\":\""), "%s: the error JSON has its class: %s", what, json);
  CHECK(thr_error_diagnostic_count(err) >= 1, "%s: no diagnostics", what);
  CHECK(streq(thr_error_diagnostic_code(err, 0), want_code), "%s: diagnostic 0 code", what);
  CHECK(streq(thr_error_diagnostic_severity(err, 0), "error"), "%s: diagnostic 0 severity", what);
  CHECK(thr_error_diagnostic_message(err, 0) != NULL, "%s: diagnostic 0 message", what);
  size_t n = thr_error_diagnostic_count(err);
  CHECK(thr_error_diagnostic_code(err, n) == NULL && thr_error_diagnostic_severity(err, n) == NULL &&
            thr_error_diagnostic_message(err, n) == NULL,
        "%s: out-of-range diagnostic is not NULL", what);
}

static void test_compile_errors(void) {
  thr_ruleset *rs = SENTINEL;
  thr_error *err = SENTINEL;
  thr_status st;

  /* NULL source. */
  err = NULL;
  st = thr_ruleset_compile(NULL, 0, &rs, &err);
  expect_failure("compile NULL src", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  CHECK(rs == SENTINEL, "compile NULL src wrote out");
  CHECK(strstr(thr_error_json(err), "\"kind\":\"argument\"") != NULL, "kind argument");
  thr_error_free(err);

  /* NULL out. */
  err = NULL;
  st = thr_ruleset_compile(SMALL, strlen(SMALL), NULL, &err);
  expect_failure("compile NULL out", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);

  /* err may be NULL: the status alone. */
  CHECK(thr_ruleset_compile(NULL, 0, &rs, NULL) == THR_NULL_ARGUMENT, "NULL err");
  CHECK(thr_ruleset_compile("ruleset", 7, &rs, NULL) == THR_RULES_SYNTAX, "NULL err, syntax");
  CHECK(rs == SENTINEL, "failed compile wrote out");

  /* Invalid UTF-8 in the rules: a lone continuation byte, and a truncated sequence. */
  const char bad[] = "ruleset \"x\xff\" version \"1\"\n";
  err = NULL;
  st = thr_ruleset_compile(bad, sizeof bad - 1, &rs, &err);
  expect_failure("compile invalid UTF-8", st, err, THR_INVALID_UTF8, "thr::ffi::invalid_utf8");
  CHECK(strstr(thr_error_json(err), "\"kind\":\"rules\"") != NULL, "kind rules: %s", thr_error_json(err));
  CHECK(strstr(thr_error_message(err), "offset 10") != NULL, "utf8 offset: %s", thr_error_message(err));
  thr_error_free(err);
  const char *cut = "ruleset \"\xc3";
  err = NULL;
  st = thr_ruleset_compile(cut, strlen(cut), &rs, &err);
  expect_failure("compile truncated UTF-8", st, err, THR_INVALID_UTF8, "thr::ffi::invalid_utf8");
  thr_error_free(err);

  /* Malformed rules: a syntax error with its location. */
  const char *syntax = "ruleset \"x\" version \"1\"\nrule r { when then level a }\n";
  err = NULL;
  st = thr_ruleset_compile(syntax, strlen(syntax), &rs, &err);
  expect_failure("syntax error", st, err, THR_RULES_SYNTAX, "thr::parse::syntax");
  CHECK(strstr(thr_error_json(err), "\"file\":\"inline.thr\",\"line\":2") != NULL, "location: %s",
        thr_error_json(err));
  CHECK(strstr(thr_error_json(err), "\"kind\":\"rules\"") != NULL, "kind rules");
  thr_error_free(err);

  /* Rules that parse but do not check. */
  const char *unknown =
      "ruleset \"x\" version \"1\"\nlevels { a \"A\" }\nfact flag: bool { question \"?\" }\n"
      "rule r { when flg then level a cite g because \"b\" }\nguidance g \"G\"\n";
  err = NULL;
  st = thr_ruleset_compile(unknown, strlen(unknown), &rs, &err);
  expect_failure("unknown name", st, err, THR_RULES_INVALID, "thr::check::unknown_name");
  CHECK(strstr(thr_error_json(err), "flag") != NULL, "did-you-mean in %s", thr_error_json(err));
  thr_error_free(err);

  /* An embedded NUL is a character, not the end of the text. */
  char with_nul[sizeof SMALL + 8];
  memcpy(with_nul, SMALL, sizeof SMALL - 1);
  memcpy(with_nul + sizeof SMALL - 1, "\0rule", 5);
  err = NULL;
  st = thr_ruleset_compile(with_nul, sizeof SMALL - 1 + 5, &rs, &err);
  CHECK(st == THR_RULES_SYNTAX, "embedded NUL: status %d", (int)st);
  thr_error_free(err);

  /* Limits: a file over 1 MiB, and nesting deeper than 64. */
  size_t big_len = (1u << 20) + 1;
  char *big = malloc(big_len);
  memset(big, ' ', big_len);
  err = NULL;
  st = thr_ruleset_compile(big, big_len, &rs, &err);
  expect_failure("source too large", st, err, THR_RULES_LIMIT, "thr::parse::source_too_large");
  thr_error_free(err);
  free(big);
  char deep[4096];
  int k = snprintf(deep, sizeof deep,
                   "ruleset \"x\" version \"1\"\nlevels { a \"A\" }\nfact f: bool { question \"?\" }\n"
                   "guidance g \"G\"\nrule r { when ");
  for (int i = 0; i < 1000; i++) deep[k++] = '(';
  k += snprintf(deep + k, sizeof deep - (size_t)k, "f");
  for (int i = 0; i < 1000; i++) deep[k++] = ')';
  k += snprintf(deep + k, sizeof deep - (size_t)k, " then level a cite g because \"b\" }\n");
  err = NULL;
  st = thr_ruleset_compile(deep, (size_t)k, &rs, &err);
  expect_failure("too deep", st, err, THR_RULES_LIMIT, "thr::parse::too_deep");
  thr_error_free(err);

  /* A length larger than PTRDIFF_MAX is refused before it is read. */
  err = NULL;
  st = thr_ruleset_compile(SMALL, SIZE_MAX, &rs, &err);
  expect_failure("huge length", st, err, THR_INVALID_ARGUMENT, "thr::ffi::invalid_argument");
  thr_error_free(err);
  CHECK(rs == SENTINEL, "failed compiles never wrote out");
}

static void test_compile_files(void) {
  const char *a = "ruleset \"two files\" version \"1\"\nlevels { a \"A\" }\nguidance g \"G\"\n";
  const char *b = "fact f: bool { question \"?\" }\nrule r { when f then level a cite g because \"b\" }\n";
  thr_source ab[2] = {{"a.thr", 5, a, strlen(a)}, {"b.thr", 5, b, strlen(b)}};
  thr_source ba[2] = {ab[1], ab[0]};
  thr_ruleset *r1 = NULL, *r2 = NULL;
  thr_error *err = NULL;
  CHECK(thr_ruleset_compile_files(ab, 2, NULL, &r1, &err) == THR_OK, "two files: %s",
        err ? thr_error_json(err) : "");
  CHECK(thr_ruleset_compile_files(ba, 2, NULL, &r2, &err) == THR_OK, "two files reversed");
  char *i1 = NULL, *i2 = NULL;
  CHECK(thr_ruleset_info_json(r1, &i1, NULL) == THR_OK && thr_ruleset_info_json(r2, &i2, NULL) == THR_OK,
        "info");
  CHECK(streq(i1, i2), "the order of files does not matter:\n%s\n%s", i1, i2);
  CHECK(i1 && strstr(i1, "\"name\":\"two files\"") != NULL, "info name: %s", i1);
  thr_string_free(i1);
  thr_string_free(i2);
  thr_ruleset_free(r1);
  thr_ruleset_free(r2);

  /* An error names the file it is in. */
  thr_source broken[2] = {ab[0], {"zz-broken.thr", 13, "rule", 4}};
  thr_ruleset *rs = SENTINEL;
  err = NULL;
  thr_status st = thr_ruleset_compile_files(broken, 2, NULL, &rs, &err);
  expect_failure("broken second file", st, err, THR_RULES_SYNTAX, "thr::parse::syntax");
  CHECK(strstr(thr_error_json(err), "\"file\":\"zz-broken.thr\"") != NULL, "file: %s", thr_error_json(err));
  thr_error_free(err);

  err = NULL;
  st = thr_ruleset_compile_files(ab, 0, NULL, &rs, &err);
  expect_failure("zero files", st, err, THR_INVALID_ARGUMENT, "thr::ffi::invalid_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_compile_files(NULL, 2, NULL, &rs, &err);
  expect_failure("NULL files", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  thr_source noname[1] = {{NULL, 0, a, strlen(a)}};
  err = NULL;
  st = thr_ruleset_compile_files(noname, 1, NULL, &rs, &err);
  expect_failure("NULL file name", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  CHECK(strstr(thr_error_message(err), "files[0].name") != NULL, "names the argument: %s", thr_error_message(err));
  thr_error_free(err);
  thr_source badname[1] = {{"\xfe.thr", 5, a, strlen(a)}};
  err = NULL;
  st = thr_ruleset_compile_files(badname, 1, NULL, &rs, &err);
  expect_failure("invalid UTF-8 file name", st, err, THR_INVALID_UTF8, "thr::ffi::invalid_utf8");
  thr_error_free(err);

  /* Limits given by the caller. */
  thr_limits lim = thr_limits_default();
  CHECK(lim.max_facts_bytes == (1u << 20) && lim.max_depth == 64, "default limits");
  lim.max_rules = 1;
  thr_source small[1] = {{"small.thr", 9, SMALL, strlen(SMALL)}};
  err = NULL;
  st = thr_ruleset_compile_files(small, 1, &lim, &rs, &err);
  expect_failure("too many rules", st, err, THR_RULES_LIMIT, "thr::check::too_many_rules");
  thr_error_free(err);
  lim = thr_limits_default();
  lim.max_source_bytes = 16;
  err = NULL;
  st = thr_ruleset_compile_files(small, 1, &lim, &rs, &err);
  expect_failure("source over a small limit", st, err, THR_RULES_LIMIT, "thr::parse::source_too_large");
  thr_error_free(err);
  CHECK(rs == SENTINEL, "failed compiles never wrote out");

  lim = thr_limits_default();
  lim.max_facts_bytes = 16;
  rs = NULL;
  CHECK(thr_ruleset_compile_files(small, 1, &lim, &rs, NULL) == THR_OK, "compile with limits");
  char *out = SENTINEL;
  const char *facts = "{\"flag\": true, \"n\": 1}"; /* 22 bytes */
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, facts, strlen(facts), &out, &err);
  expect_failure("facts over a small limit", st, err, THR_FACTS_LIMIT, "thr::facts::too_large");
  CHECK(out == SENTINEL, "failed evaluate wrote out");
  thr_error_free(err);
  CHECK(thr_ruleset_evaluate_json(rs, "{\"flag\":true}", 13, &out, NULL) == THR_OK, "facts under the limit");
  CHECK(out != SENTINEL && strncmp(out, "{\"level\":\"high\"", 15) == 0, "decision: %s", out);
  thr_string_free(out);
  thr_ruleset_free(rs);
}

static void test_evaluate_errors(void) {
  thr_ruleset *rs = small_ruleset();
  char *out = SENTINEL;
  thr_error *err = NULL;
  thr_status st;

  err = NULL;
  st = thr_ruleset_evaluate_json(NULL, "{}", 2, &out, &err);
  expect_failure("evaluate NULL rs", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, NULL, 0, &out, &err);
  expect_failure("evaluate NULL facts", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, "{}", 2, NULL, &err);
  expect_failure("evaluate NULL out", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);

  const char bad[] = "{\"flag\": \"\xc0\xaf\"}";
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, bad, sizeof bad - 1, &out, &err);
  expect_failure("facts invalid UTF-8", st, err, THR_INVALID_UTF8, "thr::ffi::invalid_utf8");
  CHECK(strstr(thr_error_json(err), "\"kind\":\"facts\"") != NULL, "kind facts");
  thr_error_free(err);

  err = NULL;
  st = thr_ruleset_evaluate_json(rs, "{\"flag\": ", 9, &out, &err);
  expect_failure("facts invalid JSON", st, err, THR_FACTS_INVALID_JSON, "thr::facts::invalid_json");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, "", 0, &out, &err);
  expect_failure("empty facts text", st, err, THR_FACTS_INVALID_JSON, "thr::facts::invalid_json");
  thr_error_free(err);
  /* The length counts: a NUL inside it is a character (here, trailing garbage). */
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, "{}\0", 3, &out, &err);
  expect_failure("NUL inside the length", st, err, THR_FACTS_INVALID_JSON, "thr::facts::invalid_json");
  thr_error_free(err);
  /* ... and bytes past the length are not read: "{}" then garbage, length 2. */
  CHECK(thr_ruleset_evaluate_json(rs, "{}garbage", 2, &out, NULL) == THR_OK, "only len bytes read");
  CHECK(out != SENTINEL, "decision written");
  thr_string_free(out);
  out = SENTINEL;

  /* Facts that do not fit: every problem listed, each naming its fact. */
  const char *wrong = "{\"n\": 11, \"flgg\": true}";
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, wrong, strlen(wrong), &out, &err);
  expect_failure("bad facts", st, err, THR_FACTS_INVALID, "thr::facts::out_of_range");
  CHECK(thr_error_diagnostic_count(err) == 2, "two diagnostics: %s", thr_error_json(err));
  CHECK(streq(thr_error_diagnostic_code(err, 1), "thr::facts::unknown_fact"), "second code");
  CHECK(strstr(thr_error_json(err), "\"fact\":\"flgg\"") != NULL, "fact named: %s", thr_error_json(err));
  CHECK(strstr(thr_error_json(err), "\"kind\":\"facts\"") != NULL, "kind facts");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, "[1]", 3, &out, &err);
  expect_failure("facts not an object", st, err, THR_FACTS_INVALID, "thr::facts::not_an_object");
  thr_error_free(err);

  /* Over the default 1 MiB limit; and JSON nested far too deep (an error, not a stack overflow). */
  size_t big_len = (1u << 20) + 2;
  char *big = malloc(big_len);
  memset(big, ' ', big_len);
  big[0] = '{';
  big[big_len - 1] = '}';
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, big, big_len, &out, &err);
  expect_failure("facts too large", st, err, THR_FACTS_LIMIT, "thr::facts::too_large");
  thr_error_free(err);
  size_t deep_len = 200000;
  memset(big, '[', deep_len);
  err = NULL;
  st = thr_ruleset_evaluate_json(rs, big, deep_len, &out, &err);
  expect_failure("facts nested deep", st, err, THR_FACTS_INVALID_JSON, "thr::facts::invalid_json");
  thr_error_free(err);
  free(big);
  CHECK(out == SENTINEL, "failed evaluations never wrote out");

  /* On success, *err is left alone. */
  thr_error *untouched = SENTINEL;
  out = NULL;
  st = thr_ruleset_evaluate_json(rs, "{\"n\": 7}", 8, &out, &untouched);
  CHECK(st == THR_OK && untouched == SENTINEL, "success leaves err alone");
  CHECK(out && strncmp(out, "{\"level\":\"high\"", 15) == 0 && strstr(out, "\"status\":\"provisional\"") == NULL,
        "n=7 is high, complete... %s", out);
  thr_string_free(out);
  /* Unknown facts: provisional, and the missing question is listed. */
  out = NULL;
  CHECK(thr_ruleset_evaluate_json(rs, "{\"n\": 1}", 8, &out, NULL) == THR_OK, "n=1");
  CHECK(out && strstr(out, "\"status\":\"provisional\"") && strstr(out, "Is it flagged?"), "provisional: %s", out);
  thr_string_free(out);

  /* facts_json and info_json, and their NULL paths. */
  char *facts = NULL, *info = NULL;
  CHECK(thr_ruleset_facts_json(rs, &facts, NULL) == THR_OK, "facts_json");
  CHECK(facts && facts[0] == '[' && strstr(facts, "\"id\":\"flag\"") && strstr(facts, "\"question\":\"How many?\""),
        "facts json: %s", facts);
  CHECK(thr_ruleset_info_json(rs, &info, NULL) == THR_OK, "info_json");
  CHECK(info && strstr(info, "\"name\":\"small\",\"version\":\"2\",\"hash\":\"sha256:") &&
            strstr(info, "\"todo\":\"Do P.\""),
        "info json: %s", info);
  thr_string_free(facts);
  thr_string_free(info);
  err = NULL;
  st = thr_ruleset_facts_json(NULL, &facts, &err);
  expect_failure("facts_json NULL rs", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_info_json(rs, NULL, &err);
  expect_failure("info_json NULL out", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);

  /* Accessors and frees accept NULL. */
  CHECK(thr_error_status(NULL) == THR_NULL_ARGUMENT, "status(NULL)");
  CHECK(thr_error_code(NULL) == NULL && thr_error_message(NULL) == NULL && thr_error_json(NULL) == NULL,
        "accessors(NULL)");
  CHECK(thr_error_diagnostic_count(NULL) == 0 && thr_error_diagnostic_code(NULL, 0) == NULL, "diagnostics(NULL)");
  thr_error_free(NULL);
  thr_string_free(NULL);
  thr_ruleset_free(NULL);
  passed++;
  thr_ruleset_free(rs);
}

static void test_requests(void) {
  thr_ruleset *rs = small_ruleset();
  char *out = SENTINEL;
  thr_error *err = NULL;
  const char *req = "{\"escalation\":{\"level\":\"high\",\"reason\":\"Seen today\"}}";
  thr_status st = thr_ruleset_evaluate_json_with(rs, "{\"flag\":false,\"n\":1}", 20, req, strlen(req), &out, &err);
  CHECK(st == THR_OK, "escalation: %s", st == THR_OK ? "" : thr_error_json(err));
  if (st == THR_OK) {
    CHECK(strstr(out, "\"level\":\"high\",\"escalation\":{\"level\":\"high\",\"reason\":\"Seen today\",\"from\":\"low\",\"raised\":true}") != NULL,
          "escalated decision: %s", out);
    thr_string_free(out);
  }
  out = SENTINEL;
  err = NULL;
  const char *bad = "{\"escalation\":{\"level\":\"higher\",\"reason\":\"x\"}}";
  st = thr_ruleset_evaluate_json_with(rs, "{}", 2, bad, strlen(bad), &out, &err);
  expect_failure("escalation to an unknown level", st, err, THR_INVALID_ARGUMENT, "thr::request::invalid");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json_with(rs, "{}", 2, "[", 1, &out, &err);
  expect_failure("a request that is not JSON", st, err, THR_INVALID_ARGUMENT, "thr::request::invalid");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_evaluate_json_with(rs, "{}", 2, NULL, 0, &out, &err);
  expect_failure("a NULL request", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  const char invalid[] = "{\"reasons\":\xff}";
  st = thr_ruleset_evaluate_json_with(rs, "{}", 2, invalid, sizeof invalid - 1, &out, &err);
  expect_failure("a request that is not UTF-8", st, err, THR_INVALID_UTF8, "thr::ffi::invalid_utf8");
  thr_error_free(err);
  CHECK(out == SENTINEL, "failed requests wrote no decision");

  /* The practitioner's summary, as text (the CLI's and the checker's). */
  err = NULL;
  st = thr_decision_summary_text(rs, "{\"flag\":true}", 13, "{}", 2, &out, &err);
  CHECK(st == THR_OK, "summary: %s", st == THR_OK ? "" : thr_error_json(err));
  if (st == THR_OK) {
    CHECK(strncmp(out, "Level: High\nComplete: ", 22) == 0, "summary level line: %s", out);
    CHECK(strstr(out, "  1. P: Do P.\n") && strstr(out, "  - r1: flagged\n    Source: G, s1\n"), "summary body: %s", out);
    CHECK(strstr(out, "Answers given:\n  - Is it flagged? Yes\n"), "summary answers: %s", out);
    thr_string_free(out);
  }
  out = SENTINEL;
  err = NULL;
  const char *esc = "{\"escalation\":{\"level\":\"high\",\"reason\":\"Seen today\"}}";
  st = thr_decision_summary_text(rs, "{}", 2, esc, strlen(esc), &out, &err);
  CHECK(st == THR_OK && strstr(out, "Level: High\n") && strstr(out, "to High from Low. Their reason: Seen today\n"),
        "escalated summary: %s", st == THR_OK ? out : thr_error_json(err));
  if (st == THR_OK) thr_string_free(out);
  out = SENTINEL;
  err = NULL;
  const char *no_reasons = "{\"reasons\":false}";
  st = thr_decision_summary_text(rs, "{}", 2, no_reasons, strlen(no_reasons), &out, &err);
  expect_failure("a summary without reasons", st, err, THR_INVALID_ARGUMENT, "thr::request::invalid");
  thr_error_free(err);
  err = NULL;
  st = thr_decision_summary_text(rs, "{}", 2, "{}", 2, NULL, &err);
  expect_failure("a summary with a NULL out", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_decision_summary_text(rs, "{\"m\":1}", 7, "{}", 2, &out, &err);
  expect_failure("a summary of bad facts", st, err, THR_FACTS_INVALID, "thr::facts::unknown_fact");
  thr_error_free(err);
  CHECK(out == SENTINEL, "failed summaries wrote nothing");

  /* Impact analysis: r2 now needs n > 2 instead of n > 5. */
  char edited[sizeof SMALL + 8];
  const char *at = strstr(SMALL, "n > 5");
  size_t head = (size_t)(at - SMALL);
  memcpy(edited, SMALL, head);
  memcpy(edited + head, "n > 2", 5);
  strcpy(edited + head + 5, at + 5);
  thr_ruleset *newer = NULL;
  CHECK(thr_ruleset_compile(edited, strlen(edited), &newer, NULL) == THR_OK, "edited rules compile");
  const char *refs = "[{\"n\": 3}, {\"n\": 1}]";
  err = NULL;
  st = thr_ruleset_compare_json(rs, newer, refs, strlen(refs), &out, &err);
  CHECK(st == THR_OK, "compare: %s", st == THR_OK ? "" : thr_error_json(err));
  if (st == THR_OK) {
    const char *head_want = "{\"total\":2,\"changed\":1,";
    CHECK(strncmp(out, head_want, strlen(head_want)) == 0, "comparison: %s", out);
    CHECK(strstr(out, "{\"from\":\"low\",\"to\":\"high\",\"count\":1}") != NULL, "transition: %s", out);
    thr_string_free(out);
  }
  out = SENTINEL;
  err = NULL;
  st = thr_ruleset_compare_json(rs, NULL, refs, strlen(refs), &out, &err);
  expect_failure("compare with a NULL rule set", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_compare_json(rs, newer, "[{\"m\": 1}]", 10, &out, &err);
  expect_failure("compare with a bad referral", st, err, THR_FACTS_INVALID, "thr::facts::unknown_fact");
  thr_error_free(err);
  CHECK(out == SENTINEL, "failed comparisons wrote nothing");
  thr_ruleset_free(newer);
  thr_ruleset_free(rs);
}

static void test_default_ruleset(void) {
  thr_ruleset *rs = NULL;
  thr_error *err = NULL;
  thr_status st = thr_ruleset_default(&rs, &err);
  CHECK(st == THR_OK, "default ruleset: %s", err ? thr_error_json(err) : "");
  thr_error_free(err);
  if (st != THR_OK) return;
  char *out = NULL, *info = NULL;
  CHECK(thr_ruleset_evaluate_json(rs, "{}", 2, &out, NULL) == THR_OK, "default evaluates {}");
  CHECK(out && strncmp(out, "{\"level\":", 9) == 0 && strstr(out, "\"ruleset\":{"), "decision: %s", out);
  CHECK(thr_ruleset_info_json(rs, &info, NULL) == THR_OK && strstr(info, "\"levels\":["), "info");
  thr_string_free(out);
  thr_string_free(info);
  err = NULL;
  st = thr_ruleset_default(NULL, &err);
  expect_failure("default NULL out", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  thr_ruleset_free(rs);
}

static const char *PRE_FACTS[] = {
    "{}",
    "{\"immediate_danger\": true, \"age_years\": 9}",
    "{\"age_years\": 14, \"cse_indicators\": [\"late_nights\", \"going_missing\"]}",
};
#define NFACTS_PRE (sizeof PRE_FACTS / sizeof PRE_FACTS[0])

/* Precompiled rule sets: the shipped rules precompiled, loaded back, deciding byte for byte as
 * the rules loaded from source; damaged bytes are a coded error. */
static void test_precompiled(void) {
  thr_ruleset *rs = NULL, *back = NULL;
  thr_error *err = NULL;
  CHECK(thr_ruleset_default(&rs, NULL) == THR_OK, "default ruleset");
  if (!rs) return;
  uint8_t *bytes = NULL;
  size_t len = 0;
  thr_status st = thr_ruleset_precompile(rs, &bytes, &len, &err);
  CHECK(st == THR_OK && bytes && len > 4 && memcmp(bytes, "THRC", 4) == 0, "precompile: %s",
        err ? thr_error_json(err) : "");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_load_precompiled(bytes, len, &back, &err);
  CHECK(st == THR_OK && back, "load precompiled: %s", err ? thr_error_json(err) : "");
  thr_error_free(err);
  for (size_t k = 0; back && k < NFACTS_PRE; k++) {
    const char *facts = PRE_FACTS[k];
    char *want = NULL, *got = NULL;
    CHECK(thr_ruleset_evaluate_json(rs, facts, strlen(facts), &want, NULL) == THR_OK, "source evaluates");
    CHECK(thr_ruleset_evaluate_json(back, facts, strlen(facts), &got, NULL) == THR_OK, "precompiled evaluates");
    CHECK(want && got && streq(want, got), "the same decision for %s:\n%s\n%s", facts, want, got);
    thr_string_free(want);
    thr_string_free(got);
  }
  thr_ruleset_free(back);
  /* Damaged (the last byte flipped), truncated, not one at all, NULL. */
  if (bytes && len > 0) {
    bytes[len - 1] ^= 1;
    back = SENTINEL;
    err = NULL;
    st = thr_ruleset_load_precompiled(bytes, len, &back, &err);
    expect_failure("damaged precompiled", st, err, THR_RULES_INVALID, "thr::precompiled::invalid");
    CHECK(back == SENTINEL, "nothing written to out on failure");
    thr_error_free(err);
    err = NULL;
    st = thr_ruleset_load_precompiled(bytes, 3, &back, &err);
    expect_failure("truncated precompiled", st, err, THR_RULES_INVALID, "thr::precompiled::invalid");
    thr_error_free(err);
  }
  err = NULL;
  st = thr_ruleset_load_precompiled((const uint8_t *)"ruleset", 7, &back, &err);
  expect_failure("source text as precompiled", st, err, THR_RULES_INVALID, "thr::precompiled::invalid");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_load_precompiled(NULL, 0, &back, &err);
  expect_failure("NULL precompiled", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  err = NULL;
  st = thr_ruleset_precompile(rs, &bytes, NULL, &err);
  expect_failure("precompile NULL out_len", st, err, THR_NULL_ARGUMENT, "thr::ffi::null_argument");
  thr_error_free(err);
  thr_bytes_free(bytes, len);
  thr_bytes_free(NULL, 0);
  thr_ruleset_free(rs);
}

/* ---------------------------------------------------------------------------------------------
 * Threads: one ruleset, many threads, every answer the same as the single-threaded one. */

#define THREADS 8
static const char *THREAD_FACTS[] = {
    "{}",
    "{\"immediate_danger\": true, \"age_years\": 9}",
    "{\"age_years\": 12, \"cse_indicators\": [\"late_nights\"]}",
    "{\"school_attendance\": \"some_absence\", \"basic_care\": \"inconsistent\", \"financial_hardship\": true}",
    "{\"age_years\": 30}",
};
#define NFACTS (sizeof THREAD_FACTS / sizeof THREAD_FACTS[0])

typedef struct {
  const thr_ruleset *rs;
  char **want, **want_summary;
  int iters, index, mismatches, errors;
} job;

static void *worker(void *arg) {
  job *j = arg;
  for (int i = 0; i < j->iters; i++) {
    size_t k = (size_t)(i + j->index) % NFACTS;
    const char *facts = THREAD_FACTS[k];
    char *out = NULL;
    thr_error *err = NULL;
    thr_status st = thr_ruleset_evaluate_json(j->rs, facts, strlen(facts), &out, &err);
    const char *got = st == THR_OK ? out : thr_error_code(err);
    if (!streq(got, j->want[k])) j->mismatches++;
    if (st != THR_OK) j->errors++;
    thr_string_free(out);
    thr_error_free(err);
    /* Every fourth time, the summary too. */
    if (i % 4 == 0) {
      out = NULL;
      err = NULL;
      st = thr_decision_summary_text(j->rs, facts, strlen(facts), "{}", 2, &out, &err);
      got = st == THR_OK ? out : thr_error_code(err);
      if (!streq(got, j->want_summary[k])) j->mismatches++;
      thr_string_free(out);
      thr_error_free(err);
    }
  }
  return NULL;
}

static void test_threads(const char *root) {
  char path[4096];
  snprintf(path, sizeof path, "%s/rules/examples/tour/tour.thr", root);
  size_t len = 0;
  char *text = read_file(path, &len);
  CHECK(text != NULL, "read %s", path);
  if (!text) return;
  thr_ruleset *rs = NULL;
  CHECK(thr_ruleset_compile(text, len, &rs, NULL) == THR_OK, "compile tour");
  free(text);
  if (!rs) return;
  char *want[NFACTS];
  int want_errors = 0;
  for (size_t k = 0; k < NFACTS; k++) {
    char *out = NULL;
    thr_error *err = NULL;
    if (thr_ruleset_evaluate_json(rs, THREAD_FACTS[k], strlen(THREAD_FACTS[k]), &out, &err) == THR_OK) {
      want[k] = out;
    } else {
      want[k] = strdup(thr_error_code(err));
      want_errors++;
      thr_error_free(err);
    }
  }
  CHECK(want_errors == 1, "one of the thread inputs is an error (age 30 out of range): %d", want_errors);
  char *want_summary[NFACTS];
  for (size_t k = 0; k < NFACTS; k++) {
    char *out = NULL;
    thr_error *err = NULL;
    if (thr_decision_summary_text(rs, THREAD_FACTS[k], strlen(THREAD_FACTS[k]), "{}", 2, &out, &err) == THR_OK) {
      want_summary[k] = out;
    } else {
      want_summary[k] = strdup(thr_error_code(err));
      thr_error_free(err);
    }
  }
  const char *env = getenv("THR_THREAD_ITERS");
  int iters = env ? atoi(env) : 40;
  pthread_t t[THREADS];
  job jobs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = (job){rs, want, want_summary, iters, i, 0, 0};
    CHECK(pthread_create(&t[i], NULL, worker, &jobs[i]) == 0, "pthread_create");
  }
  int mismatches = 0, errors = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    mismatches += jobs[i].mismatches;
    errors += jobs[i].errors;
  }
  CHECK(mismatches == 0, "%d answers differed across %d threads", mismatches, THREADS);
  CHECK(errors > 0, "errors were exercised concurrently too");
  printf("threads: %d threads x %d evaluations on one ruleset\n", THREADS, iters);
  for (size_t k = 0; k < NFACTS; k++) {
    /* Error codes were strdup'd; decisions belong to the library. */
    if (strncmp(want[k], "thr::", 5) == 0) {
      free(want[k]);
      free(want_summary[k]);
    } else {
      thr_string_free(want[k]);
      thr_string_free(want_summary[k]);
    }
  }
  thr_ruleset_free(rs);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s FIXTURE REPO_ROOT\n", argv[0]);
    return 2;
  }
  if (!getenv("THR_TEST")) {
    test_version();
    test_compile_errors();
    test_compile_files();
    test_evaluate_errors();
    test_requests();
    test_default_ruleset();
    test_precompiled();
    test_threads(argv[2]);
  }
  run_vectors(argv[1]);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

/*
 * check_referral: reads a referral's facts (JSON) from a file, evaluates them with the shipped
 * rule set (or a rule file given with --rules), and prints the level and what to do, with the
 * pathway labels and instructions taken from the rule set (thr_ruleset_info_json).
 *
 *   cc check_referral.c $(pkg-config --cflags --libs thresholds) -o check_referral
 *   ./check_referral examples/referrals/01-school-absence-early-help.json
 *   ./check_referral --rules rules/examples/tour/tour.thr facts.json
 *
 * Exit status: 0 a decision was printed; 1 the facts or rules were rejected; 2 usage or I/O.
 *
 * A case system would use its own JSON library; this example carries a small reader (json_*
 * below) so that it needs nothing but the C library and thresholds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresholds.h"

/* ---- A minimal JSON reader: enough to walk the decision and info objects. ---- */

static const char *ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  return p;
}

/* Skips one JSON value; returns the position after it, or NULL if malformed. */
static const char *json_skip(const char *p) {
  p = ws(p);
  if (*p == '"') {
    for (p++; *p && *p != '"'; p++)
      if (*p == '\\' && p[1]) p++;
    return *p ? p + 1 : NULL;
  }
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (close == '}') {
        p = json_skip(p); /* key */
        if (!p || *(p = ws(p)) != ':') return NULL;
        p++;
      }
      p = json_skip(p);
      if (!p) return NULL;
      p = ws(p);
      if (*p == ',') {
        p++;
      } else if (*p == close) {
        return p + 1;
      } else {
        return NULL;
      }
    }
  }
  while (*p && strchr(",}] \n\r\t", *p) == NULL) p++; /* number, true, false, null */
  return p;
}

/* The value of `key` in the object at `obj`, or NULL. */
static const char *json_get(const char *obj, const char *key) {
  const char *p = ws(obj);
  if (*p != '{') return NULL;
  p = ws(p + 1);
  size_t klen = strlen(key);
  while (*p == '"') {
    const char *k = p + 1;
    const char *end = json_skip(p);
    if (!end) return NULL;
    p = ws(end);
    if (*p != ':') return NULL;
    const char *value = ws(p + 1);
    if ((size_t)(end - 1 - k) == klen && strncmp(k, key, klen) == 0) return value;
    p = json_skip(value);
    if (!p) return NULL;
    p = ws(p);
    if (*p == ',') p = ws(p + 1);
  }
  return NULL;
}

/* The i-th element of the array at `arr`, or NULL. */
static const char *json_at(const char *arr, size_t i) {
  const char *p = ws(arr);
  if (*p != '[') return NULL;
  p = ws(p + 1);
  if (*p == ']') return NULL;
  for (size_t n = 0;; n++) {
    if (n == i) return p;
    p = json_skip(p);
    if (!p) return NULL;
    p = ws(p);
    if (*p != ',') return NULL;
    p = ws(p + 1);
  }
}

/* A copy of the string value at `p` with escapes decoded (\uXXXX to UTF-8), or NULL. */
static char *json_str(const char *p) {
  if (!p || *(p = ws(p)) != '"') return NULL;
  char *out = malloc(strlen(p) + 1), *o = out;
  for (p++; *p && *p != '"'; p++) {
    if (*p != '\\') {
      *o++ = *p;
      continue;
    }
    switch (*++p) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        unsigned cp = 0;
        if (sscanf(p + 1, "%4x", &cp) != 1) break;
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
          unsigned lo = 0;
          if (sscanf(p + 3, "%4x", &lo) == 1) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
        }
        if (cp < 0x80) {
          *o++ = (char)cp;
        } else if (cp < 0x800) {
          *o++ = (char)(0xC0 | (cp >> 6));
          *o++ = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          *o++ = (char)(0xE0 | (cp >> 12));
          *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
          *o++ = (char)(0x80 | (cp & 0x3F));
        } else {
          *o++ = (char)(0xF0 | (cp >> 18));
          *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
          *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
          *o++ = (char)(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: *o++ = *p; break; /* \" \\ \/ */
    }
  }
  *o = 0;
  return out;
}

/* The string `field` of the element of array `arr` whose "id" is `id`, or NULL. */
static char *lookup(const char *arr, const char *id, const char *field) {
  const char *el;
  for (size_t i = 0; (el = json_at(arr, i)) != NULL; i++) {
    char *eid = json_str(json_get(el, "id"));
    int match = eid && strcmp(eid, id) == 0;
    free(eid);
    if (match) return json_str(json_get(el, field));
  }
  return NULL;
}

/* ---- The program. ---- */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf; /* not NUL-terminated: the API takes (pointer, length) */
}

static int fail(const char *what, thr_status st, thr_error *err) {
  fprintf(stderr, "%s (status %d): %s\n", what, (int)st, thr_error_message(err));
  /* Every problem, e.g. each fact that is wrong, with its code. */
  for (size_t i = 0; i < thr_error_diagnostic_count(err); i++)
    fprintf(stderr, "  %s %s: %s\n", thr_error_diagnostic_severity(err, i), thr_error_diagnostic_code(err, i),
            thr_error_diagnostic_message(err, i));
  thr_error_free(err);
  return 1;
}

int main(int argc, char **argv) {
  const char *rules_path = NULL, *facts_path = NULL;
  if (argc == 4 && strcmp(argv[1], "--rules") == 0) {
    rules_path = argv[2];
    facts_path = argv[3];
  } else if (argc == 2) {
    facts_path = argv[1];
  } else {
    fprintf(stderr, "usage: %s [--rules FILE.thr] FACTS.json\n", argv[0]);
    return 2;
  }
  if (thr_abi_version() != THR_ABI_VERSION) {
    fprintf(stderr, "libthresholds ABI %u, built against %u\n", thr_abi_version(), THR_ABI_VERSION);
    return 2;
  }

  thr_ruleset *rs = NULL;
  thr_error *err = NULL;
  thr_status st;
  if (rules_path) {
    size_t len;
    char *text = read_file(rules_path, &len);
    if (!text) {
      perror(rules_path);
      return 2;
    }
    st = thr_ruleset_compile(text, len, &rs, &err);
    free(text);
  } else {
    st = thr_ruleset_default(&rs, &err);
  }
  if (st != THR_OK) return fail("the rules were rejected", st, err);

  size_t facts_len;
  char *facts = read_file(facts_path, &facts_len);
  if (!facts) {
    perror(facts_path);
    thr_ruleset_free(rs);
    return 2;
  }
  char *decision = NULL, *info = NULL;
  st = thr_ruleset_evaluate_json(rs, facts, facts_len, &decision, &err);
  free(facts);
  if (st != THR_OK) {
    thr_ruleset_free(rs);
    return fail("the facts were rejected", st, err);
  }
  st = thr_ruleset_info_json(rs, &info, &err);
  if (st != THR_OK) {
    thr_string_free(decision);
    thr_ruleset_free(rs);
    return fail("no rule set information", st, err);
  }

  char *level = json_str(json_get(decision, "level"));
  char *status = json_str(json_get(decision, "status"));
  char *level_label = level ? lookup(json_get(info, "levels"), level, "label") : NULL;
  printf("Level: %s (%s)%s\n", level_label ? level_label : "none", level ? level : "-",
         status && strcmp(status, "provisional") == 0 ? ", provisional: some answers are missing" : "");

  printf("What to do, most urgent first:\n");
  const char *pathways = json_get(decision, "pathways"), *el;
  const char *known = json_get(info, "pathways");
  for (size_t i = 0; (el = json_at(pathways, i)) != NULL; i++) {
    char *id = json_str(el);
    char *label = id ? lookup(known, id, "label") : NULL;
    char *todo = id ? lookup(known, id, "todo") : NULL;
    printf("  %zu. %s: %s\n", i + 1, label ? label : id, todo ? todo : "");
    free(id);
    free(label);
    free(todo);
  }

  const char *missing = json_get(decision, "missing");
  if (json_at(missing, 0)) printf("Questions that could change this decision:\n");
  for (size_t i = 0; (el = json_at(missing, i)) != NULL; i++) {
    char *q = json_str(json_get(el, "question"));
    printf("  - %s\n", q ? q : "?");
    free(q);
  }
  char *name = json_str(json_get(info, "name")), *version = json_str(json_get(info, "version"));
  printf("Rule set: %s, version %s. This is advice; your professional judgement stands.\n", name, version);

  free(name);
  free(version);
  free(level);
  free(status);
  free(level_label);
  thr_string_free(info);
  thr_string_free(decision);
  thr_ruleset_free(rs);
  return 0;
}

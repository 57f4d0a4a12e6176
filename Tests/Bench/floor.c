// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* The floor of `make bench`: the least any tool reporting IOMMU topology from
 * DTBs must do, and no report. For each blob on the command line, in one
 * process: read it into an aligned buffer, fdt_check_full it, walk every node
 * once (collecting phandles and the `iommus` and `iommu-map` values),
 * build an open-addressing phandle table, then resolve every `iommus` entry
 * (strict #iommu-cells of the target, stopping at the first entry that cannot
 * be resolved, as of_iommu_configure_dev does) and every 4-cell `iommu-map`
 * entry (rid-base, phandle, out-base, length). Prints the links resolved, so
 * that the work is not optimised away and can be checked; exits 2 naming the
 * file on a read or libfdt error.
 *
 *   cc -O2 -Wall -Wextra -o floor floor.c -lfdt && ./floor a.dtb b.dtb ...
 */
#include <errno.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot { uint32_t phandle; int node; }; /* phandle 0: empty */

static struct slot *table;
static uint32_t mask; /* table size - 1, a power of two */
static unsigned bits;

static uint32_t hash(uint32_t phandle) { /* Fibonacci hashing: the top bits */
  return (uint32_t)(phandle * 2654435761u) >> (32 - bits);
}

/* The first node with a phandle wins, as in of_find_node_by_phandle. */
static void put(uint32_t phandle, int node) {
  uint32_t i = hash(phandle);
  while (table[i].phandle && table[i].phandle != phandle) i = (i + 1) & mask;
  if (!table[i].phandle) table[i] = (struct slot){phandle, node};
}

static int get(uint32_t phandle) { /* the node's offset, or -1 */
  if (!phandle) return -1;
  for (uint32_t i = hash(phandle); table[i].phandle; i = (i + 1) & mask)
    if (table[i].phandle == phandle) return table[i].node;
  return -1;
}

static void *grow(void *array, size_t *capacity, size_t used, size_t size) {
  if (used < *capacity) return array;
  *capacity = *capacity ? 2 * *capacity : 256;
  void *bigger = realloc(array, *capacity * size);
  if (!bigger) { perror("floor"); exit(2); }
  return bigger;
}

static int fail(const char *file, const char *why) {
  fprintf(stderr, "floor: %s: %s\n", file, why);
  return 2;
}

/* A node's `iommus` and `iommu-map` values (NULL when absent). */
struct user { const fdt32_t *iommus, *map; int iommus_len, map_len; };

/* Links resolved from one `iommus` value of `cells` cells. */
static unsigned long iommus(const void *fdt, const fdt32_t *p, uint32_t cells) {
  unsigned long links = 0;
  uint32_t i = 0;
  while (i < cells) {
    int target = get(fdt32_ld(&p[i++])); /* phandle 0 (an empty entry) ends it too */
    int len;
    const fdt32_t *c = target < 0 ? NULL : fdt_getprop(fdt, target, "#iommu-cells", &len);
    if (!c || len < 4 || fdt32_ld(c) > cells - i) break; /* missing, short, overrun */
    i += fdt32_ld(c); /* 0 is fine: the entry is the phandle alone */
    links++;
  }
  return links;
}

int main(int argc, char **argv) {
  unsigned long links[2] = {0, 0}; /* iommus, iommu-map */
  void *fdt = NULL; /* realloc's alignment suits any type: at least 8 bytes */
  struct slot *phandles = NULL; /* in walk order */
  struct user *users = NULL;
  size_t fdt_capacity = 0, phandle_capacity = 0, user_capacity = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: floor DTB...\n");
    return 2;
  }
  for (int a = 1; a < argc; a++) {
    const char *file = argv[a];
    FILE *f = fopen(file, "rb");
    if (!f) return fail(file, strerror(errno));
    size_t size = 0;
    for (;;) { /* read to EOF, the buffer kept across blobs and doubled when full */
      if (size == fdt_capacity) { /* large blocks grow by mremap: no copy */
        fdt_capacity = fdt_capacity ? 2 * fdt_capacity : 1 << 20;
        if (!(fdt = realloc(fdt, fdt_capacity))) return fail(file, strerror(errno));
      }
      size += fread((char *)fdt + size, 1, fdt_capacity - size, f);
      if (size < fdt_capacity) break;
    }
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error) return fail(file, strerror(read_error));
    int err = fdt_check_full(fdt, size);
    if (err) return fail(file, fdt_strerror(err));

    /* The one walk: phandles, and the nodes that reference IOMMUs. */
    size_t phandle_count = 0, user_count = 0;
    int node;
    for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
      uint32_t phandle = fdt_get_phandle(fdt, node);
      if (phandle) {
        phandles = grow(phandles, &phandle_capacity, phandle_count, sizeof *phandles);
        phandles[phandle_count++] = (struct slot){phandle, node};
      }
      struct user user = {NULL, NULL, 0, 0};
      user.iommus = fdt_getprop(fdt, node, "iommus", &user.iommus_len);
      user.map = fdt_getprop(fdt, node, "iommu-map", &user.map_len);
      if (user.iommus || user.map) {
        users = grow(users, &user_capacity, user_count, sizeof *users);
        users[user_count++] = user;
      }
    }
    if (node != -FDT_ERR_NOTFOUND) return fail(file, fdt_strerror(node));

    /* The index, at most half full, built once. */
    for (bits = 4; ((size_t)1 << bits) < 2 * phandle_count; bits++) {}
    mask = ((uint32_t)1 << bits) - 1;
    free(table);
    if (!(table = calloc((size_t)mask + 1, sizeof *table))) return fail(file, strerror(errno));
    for (size_t i = 0; i < phandle_count; i++) put(phandles[i].phandle, phandles[i].node);

    for (size_t u = 0; u < user_count; u++) {
      const struct user *user = &users[u];
      if (user->iommus) links[0] += iommus(fdt, user->iommus, (uint32_t)user->iommus_len / 4);
      for (int i = 0; user->map && i + 4 <= user->map_len / 4; i += 4) /* whole tuples */
        links[1] += get(fdt32_ld(&user->map[i + 1])) >= 0;
    }
  }
  printf("%d blobs, %lu links (%lu iommus, %lu iommu-map)\n", argc - 1, links[0] + links[1],
         links[0], links[1]);
  free(fdt);
  free(phandles);
  free(users);
  free(table);
  return 0;
}

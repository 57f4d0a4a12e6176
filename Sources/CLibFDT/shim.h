// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#ifndef CLIBFDT_SHIM_H
#define CLIBFDT_SHIM_H

#include <libfdt.h>

// Header accessors are function-like macros in libfdt.h; Swift imports none
// of them, so each one we need gets a static inline twin here.

static inline uint32_t clibfdt_magic(const void *fdt) { return fdt_magic(fdt); }
static inline uint32_t clibfdt_totalsize(const void *fdt) { return fdt_totalsize(fdt); }
static inline uint32_t clibfdt_off_dt_struct(const void *fdt) { return fdt_off_dt_struct(fdt); }
static inline uint32_t clibfdt_off_dt_strings(const void *fdt) { return fdt_off_dt_strings(fdt); }
static inline uint32_t clibfdt_off_mem_rsvmap(const void *fdt) { return fdt_off_mem_rsvmap(fdt); }
static inline uint32_t clibfdt_version(const void *fdt) { return fdt_version(fdt); }
static inline uint32_t clibfdt_size_dt_struct(const void *fdt) { return fdt_size_dt_struct(fdt); }
static inline uint32_t clibfdt_size_dt_strings(const void *fdt) { return fdt_size_dt_strings(fdt); }

#endif

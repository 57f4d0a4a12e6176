// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#ifndef CFUZZ_LIBFUZZER_H
#define CFUZZ_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's own mutator, which a custom mutator may call for the byte-level
// moves it does not make itself. Declared in no installed header.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#endif

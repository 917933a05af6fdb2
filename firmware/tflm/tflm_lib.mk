# tflm_lib.mk - TensorFlow Lite Micro as a static library (libtflm.a), built from the TFLM tree
# TFLM_DIR (made by TFLM's create_tflm_tree.py) into the user cache once per tree content,
# compiler and flags: the first build compiles ~300 files (minutes on 2 cores), every later
# build of any project with the same tree and flags links the cached archive (seconds).
# Included by the project Makefile, which sets TFLM_DIR, CC, CXX, AR, ARCH and OPT.
#
# Cache entry: $(TFLM_CACHE)/<key>/libtflm.a + libtflm.a.sha256; <key> hashes the compiler
# versions, the flags, this file and every source and header of the tree (not the tree's path:
# sources are compiled from inside the tree with relative paths). An entry is built in a
# temporary folder beside it and renamed into place when complete; an entry whose archive does
# not match its checksum (corrupt, cut short, stamp missing) is removed here and rebuilt.

TFLM_CACHE ?= $(or $(TFC_CACHE_DIR),$(HOME)/.cache/tfcompress)/tflm

ifeq ($(wildcard $(TFLM_DIR)/tensorflow/lite/micro/micro_interpreter.h),)
$(error TFLM_DIR=$(TFLM_DIR) is not a TensorFlow Lite Micro tree (no tensorflow/lite/micro/micro_interpreter.h): pass TFLM_DIR=<a tree made by create_tflm_tree.py>, see README.md)
endif

# cmsis-nn when the tree has TFLM's CMSIS-NN kernels (create_tflm_tree.py OPTIMIZED_KERNEL_DIR=cmsis_nn)
TFLM_KERNELS := $(if $(wildcard $(TFLM_DIR)/tensorflow/lite/micro/kernels/cmsis_nn/conv.cc),cmsis-nn,reference)
# TFLM's own build types: release_with_logs (-DNDEBUG: no DCHECKs, error messages kept; what TFLM
# recommends for benchmarking, and what tfcompress measures), default (DCHECKs on: TFLM's reference
# kernels check every tensor index, several times slower), release (also strips error strings)
TFLM_BUILD_TYPE ?= release_with_logs
TFLM_BUILD_DEFS := $(if $(filter release_with_logs,$(TFLM_BUILD_TYPE)),-DNDEBUG,$(if $(filter release,$(TFLM_BUILD_TYPE)),-DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS))
TFLM_DEFS := -DTF_LITE_STATIC_MEMORY -DTF_LITE_MCU_DEBUG_LOG $(TFLM_BUILD_DEFS) $(if $(filter cmsis-nn,$(TFLM_KERNELS)),-DCMSIS_NN)
TFLM_INC_DIRS := . third_party/gemmlowp third_party/flatbuffers/include third_party/ruy third_party/kissfft \
                 third_party/cmsis_nn third_party/cmsis_nn/Include third_party/cmsis/CMSIS/Core/Include
TFLM_COMMON := $(ARCH) $(OPT) -ffunction-sections -fdata-sections $(TFLM_DEFS) $(addprefix -I,$(TFLM_INC_DIRS))
TFLM_LIB_CXXFLAGS := $(TFLM_COMMON) -std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics -w
TFLM_LIB_CFLAGS := $(TFLM_COMMON) -std=c11 -w

# every .cc/.c under tensorflow/ and third_party/ (signal/ is TFLM's audio front end, not needed);
# the firmware brings its own micro_time.cc and debug_log.cc (the board's counter and UART)
TFLM_FIND = cd $(TFLM_DIR) && find tensorflow third_party -type f
TFLM_SRCS := $(shell $(TFLM_FIND) \( -name '*.cc' -o -name '*.c' \) ! -path 'tensorflow/lite/micro/cortex_m_generic/*' | LC_ALL=C sort)
TFLM_KEY := $(shell { $(CXX) --version | head -n 1; $(CC) --version | head -n 1; \
    echo '$(TFLM_LIB_CXXFLAGS)'; echo '$(TFLM_LIB_CFLAGS)'; cat tflm_lib.mk; \
    $(TFLM_FIND) \( -name '*.h' -o -name '*.hpp' -o -name '*.inc' -o -name '*.cc' -o -name '*.c' \) -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
TFLM_LIBDIR := $(TFLM_CACHE)/$(TFLM_KEY)
TFLM_LIB := $(TFLM_LIBDIR)/libtflm.a

ifneq ($(shell cd $(TFLM_LIBDIR) 2>/dev/null && sha256sum --status -c libtflm.a.sha256 2>/dev/null && echo ok),ok)
TFLM_REMOVED := $(shell rm -rf $(TFLM_LIBDIR))
endif

ifeq ($(wildcard $(TFLM_LIB)),)
TFLM_TMP := $(TFLM_LIBDIR).tmp-$(shell echo $$PPID)
TFLM_OBJS := $(patsubst %,$(TFLM_TMP)/%.o,$(TFLM_SRCS))

$(TFLM_TMP)/.started:
	@echo "TFLM library: building $(words $(TFLM_SRCS)) sources of $(TFLM_DIR) ($(TFLM_KERNELS) kernels) into $(TFLM_LIBDIR), once per tree, compiler and flags"
	@find $(TFLM_CACHE) -maxdepth 1 -name '*.tmp-*' -mmin +240 -exec rm -rf {} + 2>/dev/null || true
	@rm -rf $(TFLM_TMP) && mkdir -p $(TFLM_TMP) && touch $@

$(TFLM_TMP)/%.cc.o: $(TFLM_DIR)/%.cc | $(TFLM_TMP)/.started
	@mkdir -p $(dir $@)
	@cd $(TFLM_DIR) && $(CXX) $(TFLM_LIB_CXXFLAGS) -c $*.cc -o $@

$(TFLM_TMP)/%.c.o: $(TFLM_DIR)/%.c | $(TFLM_TMP)/.started
	@mkdir -p $(dir $@)
	@cd $(TFLM_DIR) && $(CC) $(TFLM_LIB_CFLAGS) -c $*.c -o $@

$(TFLM_LIB): $(TFLM_OBJS)
	$(file >$(TFLM_TMP)/objects.txt,$(TFLM_OBJS))
	@$(AR) rcs $(TFLM_TMP)/libtflm.a @$(TFLM_TMP)/objects.txt
	@cd $(TFLM_TMP) && sha256sum libtflm.a > libtflm.a.sha256 && rm -rf tensorflow third_party objects.txt .started
	@mv -T $(TFLM_TMP) $(TFLM_LIBDIR) 2>/dev/null || rm -rf $(TFLM_TMP)
	@echo "TFLM library: built $(TFLM_LIB)"
endif

# ntmend: plain make with pkg-config. Variants build side by side:
#   make                 release build in build/release (build/release/ntmend)
#   make V=asan          ASan+UBSan build in build/asan (what the tests run)
#   make V=tsan          ThreadSanitizer build in build/tsan (the threaded
#                        golden and device code's tests run on it too)
#   make check           install missing Debian packages, build both, run tests
#   make demo            install, build, create the demo disk, open the menu on it
#   make bench           benchmarks (print ratios against in-script baselines)
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (default 60)
#   make iso             the bootable USB/CD image build/ntmend.iso (image/)
#   make check-image     only the image's QEMU boot test (make check runs it)

V		?= release
BUILD		:= build/$(V)
PKGS		:= libntfs-3g hivex libarchive ncursesw libcrypto libxml-2.0 \
		   jansson blkid
WARN		:= -Wall -Wextra -Wshadow -Wmissing-prototypes -Wwrite-strings \
		   -Wno-unused-parameter
ifneq ($(CI),)
WARN		+= -Werror
endif

ifeq ($(V),asan)
VFLAGS		:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
VLDFLAGS	:= -fsanitize=address,undefined
else ifeq ($(V),tsan)
VFLAGS		:= -O1 -g -fsanitize=thread
VLDFLAGS	:= -fsanitize=thread
else ifeq ($(V),fuzz)
CC		:= clang
VFLAGS		:= -O1 -g -fsanitize=fuzzer-no-link,address,undefined
VLDFLAGS	:= -fsanitize=address,undefined
else
VFLAGS		:= -O2 -g
endif

PKG_CFLAGS	 = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS	+= -I. -D_GNU_SOURCE -MMD -MP
CFLAGS		+= -std=gnu11 $(WARN) $(VFLAGS) $(PKG_CFLAGS)
LDFLAGS		+= $(VLDFLAGS)
LIBS		 = $(PKG_LIBS) -lm -pthread

# The engine: every module below cli/ and tui/, one static library.
LIB_SRC		:= $(wildcard util/*.c ntfs/*.c hive/*.c packages/*.c repair/*.c)
CLI_SRC		:= $(wildcard cli/*.c tui/*.c)
TEST_SRC	:= $(wildcard tests/unit/test_*.c)
TOOL_SRC	:= $(wildcard tests/fixture/*.c)
BENCH_SRC	:= $(wildcard bench/*.c)
FUZZ_SRC	:= $(wildcard fuzz/fuzz_*.c)

LIB		:= $(BUILD)/libntmend.a
LIB_OBJ		:= $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ		:= $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS		:= $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS		:= $(TOOL_SRC:tests/fixture/%.c=$(BUILD)/tools/%)
BENCHES		:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZERS		:= $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all tests tools benches fuzzers deps check demo bench fuzz clean \
	iso check-image

all: $(BUILD)/ntmend tools

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ntmend: $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka

$(BUILD)/tools/%: $(BUILD)/tests/fixture/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

tests: $(TESTS) $(BUILD)/ntmend tools
tools: $(TOOLS)
benches: $(BENCHES) $(BUILD)/ntmend tools
fuzzers: $(FUZZERS)

deps:
	@scripts/deps.sh

# The USB/CD image packs the release build; image/deps.sh installs what
# building and boot-testing it needs (xorriso, GRUB, QEMU, OVMF...).
ISO		:= build/ntmend.iso
ISO_SRC		:= $(wildcard image/*.sh image/init image/grub.cfg \
		   image/modules image/profile image/stick/*)

iso: deps
	@image/deps.sh
	$(MAKE) V=release $(ISO)

$(ISO): build/release/ntmend $(ISO_SRC)
	image/build.sh build/release/ntmend $@

# The tests run the ASan+UBSan build; fuzz targets get a short run each.
# tests/run includes tests/integration/test_image.sh, which boots the image.
check: deps
	$(MAKE) V=release all benches
	$(MAKE) V=asan tests
	$(MAKE) V=fuzz fuzzers
	$(MAKE) V=tsan all
	$(MAKE) iso
	tests/run build/asan build/fuzz build/tsan

check-image: iso
	$(MAKE) V=asan tools
	bash tests/integration/test_image.sh

# The demo PC is broken on purpose. On a terminal the walk-through menu
# opens on it; elsewhere (a pipe, CI) info and diagnose show it, and
# diagnose answers 1 (findings remain): anything above 1 is a failure.
demo: deps
	$(MAKE) V=release all benches
	tests/fixture/mkdemo build/demo.img
	@if [ -t 0 ] && [ -t 1 ]; then \
		echo "Opening the menu on build/demo.img (q quits)"; \
		build/release/ntmend -t build/demo.img; \
	else \
		build/release/ntmend -t build/demo.img info && \
		{ build/release/ntmend -t build/demo.img diagnose; \
		  test $$? -le 1; } && \
		echo "Not a terminal, so no menu. On one:" \
		    "build/release/ntmend -t build/demo.img"; \
	fi

bench: deps
	$(MAKE) V=release benches
	$(MAKE) iso
	bench/run build/release

FUZZ_SECONDS	?= 60
fuzz: deps
	$(MAKE) V=fuzz fuzzers
	fuzz/run build/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

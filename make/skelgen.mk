# skelgen.mk: pattern rules that compile BPF programs with clang and write their light
# skeletons with skelgen. Include it from your Makefile (GNU make):
#
#   include path/to/skelgen/make/skelgen.mk
#   prog: prog.c prog.lskel.h            # prog.lskel.h <- prog.bpf.o <- prog.bpf.c
#   	$(CC) $(CFLAGS) prog.c -o $@
#   -include prog.bpf.d                  # the headers prog.bpf.c includes (written by clang)
#
# Rules:
#   %.bpf.o         from %.bpf.c   clang -target bpf; also writes %.bpf.d for make
#   %.lskel.h       from %.bpf.o   skelgen --lang c
#   %.skel.rs       from %.bpf.o   skelgen --lang rust
#   %_skel.go       from %.bpf.o   skelgen --lang go
#   %.kern.lskel.h  from %.bpf.o   skelgen --lang kernel
#
# Variables (set them before or after the include, or on the command line):
#   SKELGEN        the skelgen command                    default: skelgen
#   SKELGEN_FLAGS  more skelgen options (e.g. --name)     default: none
#   BPF_CLANG      the clang that compiles BPF            default: clang
#   BPF_CFLAGS     clang options                          default: -g -O2 -Wall
#   BPF_CPPFLAGS   include paths and defines              default: the multiarch include
#                  directory (Debian, Ubuntu), so that <linux/bpf.h> finds <asm/types.h>
#   BPF_ARCH       __TARGET_ARCH_ for bpf_tracing.h       default: from uname -m
#
# Objects and skeletons are kept even when make reaches them only through these rules
# (.PRECIOUS), so a later make finds them and does nothing.

SKELGEN ?= skelgen
SKELGEN_FLAGS ?=
BPF_CLANG ?= clang
BPF_CFLAGS ?= -g -O2 -Wall

skelgen_multiarch := $(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CPPFLAGS ?= $(if $(wildcard /usr/include/$(skelgen_multiarch)/asm),-I/usr/include/$(skelgen_multiarch))

skelgen_uname_m := $(shell uname -m)
skelgen_arch_x86_64 := x86
skelgen_arch_i686 := x86
skelgen_arch_aarch64 := arm64
skelgen_arch_armv7l := arm
skelgen_arch_ppc64le := powerpc
skelgen_arch_s390x := s390
skelgen_arch_riscv64 := riscv
skelgen_arch_loongarch64 := loongarch
BPF_ARCH ?= $(or $(skelgen_arch_$(skelgen_uname_m)),$(skelgen_uname_m))

# The prefix map keeps this directory's absolute path out of the object's debug info, so the
# object and the skeletons made from it are the same in every checkout.
%.bpf.o: %.bpf.c
	$(BPF_CLANG) $(BPF_CFLAGS) -target bpf -D__TARGET_ARCH_$(BPF_ARCH) $(BPF_CPPFLAGS) \
		-ffile-prefix-map=$(CURDIR)=. -MMD -MP -MF $*.bpf.d -c $< -o $@

# skelgen leaves a file whose content would not change untouched (so that build tools
# comparing content see nothing new). make compares times only: without the touch, a
# rebuilt object with the same skeleton would leave the skeleton older than the object, and
# every later make would run skelgen again.
define skelgen_recipe
$(SKELGEN) --lang $(1) $(SKELGEN_FLAGS) $< -o $@
@touch $@
endef

%.lskel.h: %.bpf.o
	$(call skelgen_recipe,c)

%.skel.rs: %.bpf.o
	$(call skelgen_recipe,rust)

%_skel.go: %.bpf.o
	$(call skelgen_recipe,go)

%.kern.lskel.h: %.bpf.o
	$(call skelgen_recipe,kernel)

.PRECIOUS: %.bpf.o %.lskel.h %.skel.rs %_skel.go %.kern.lskel.h

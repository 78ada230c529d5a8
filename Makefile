# SPDX-License-Identifier: GPL-2.0
#
# Friendly wrapper. kbuild itself reads ./Kbuild.
#
#   make                 module (for KVER) and the wgplanes tool
#   make KVER=6.1.0-56-amd64
#   make check           install what is needed, static checks, DKMS round
#                        trip and the selftests in a VM on both kernels
#   make demo            boot the VM and show wgplanes at work
#   make bench           throughput, isolation and receive-flood benchmarks
#                        in a VM (Documentation/benchmarks.md)
#   make vm-shell        interactive shell in the VM with the module loaded
#   make dkms-install / dkms-uninstall

KVER ?= $(shell tools/default-kver)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := build/$(KVER)
VERSION := $(shell sed -n 's/.*WGP_VERSION "\(.*\)"/\1/p' module/version.h)

MODULE_SRCS := Kbuild $(wildcard module/*.c module/*.h) \
	include/uapi/linux/wgplanes.h

all: module tool

# Each kernel gets its own copy of the sources so that objects of different
# kernels never mix; kbuild cannot put objects of an external module
# elsewhere before 6.13.
module: $(BUILD)/wgplanes.ko

$(BUILD)/wgplanes.ko: $(MODULE_SRCS)
	@mkdir -p $(BUILD)
	@rm -rf $(BUILD)/module $(BUILD)/include
	@cp -p --parents $(MODULE_SRCS) $(BUILD)/
	$(MAKE) -C $(KDIR) M=$(abspath $(BUILD)) $(if $(W),W=$(W)) \
		$(if $(C),C=$(C)) modules

tool:
	$(MAKE) -C tools/wgplanes

check:
	tools/check

demo:
	tools/demo

vm-shell: module tool
	tools/vm/run -k $(KVER) --shell

bench:
	$(if $(filter command line,$(origin KVER)),KVER=$(KVER)) tools/bench/run

dkms-install:
	tools/dkms-helper install $(VERSION)

dkms-uninstall:
	tools/dkms-helper uninstall $(VERSION)

install: tool
	$(MAKE) -C tools/wgplanes install
	$(MAKE) -C tools/quick install

clean:
	rm -rf build
	-$(MAKE) -C tools/wgplanes clean

.PHONY: all module tool check demo vm-shell bench dkms-install \
	dkms-uninstall install clean

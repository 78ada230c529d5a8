#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hold the kernel static keys that tests would otherwise switch on and off
# under traffic; run it in the background for the length of a run and kill
# it at the end.
#
# Every ping asks for receive timestamps, which turns netstamp_needed_key on
# for the first user and off after the last: live patching of
# __netif_receive_skb_core through an int3. Under qemu TCG such a switch
# while another vCPU runs that code has crashed guests ("Oops: int3" at
# __netif_receive_skb_core+0x3f). Netfilter hooks (nft in the tests) are
# static keys as well. One ping and one empty nft table in a private network
# namespace switch each key on once, before any traffic, and keep it on.
exec unshare -n sh -c '
	ip link set lo up
	if command -v nft >/dev/null; then
		nft -f - <<-EOF || echo "hold_keys: nft table failed" >&2
		table inet wgp_keys {
			chain k_pre { type filter hook prerouting priority 0; }
			chain k_in { type filter hook input priority 0; }
			chain k_fwd { type filter hook forward priority 0; }
			chain k_out { type filter hook output priority 0; }
			chain k_post { type filter hook postrouting priority 0; }
		}
		EOF
	fi
	exec ping -q -i 5 127.0.0.1 >/dev/null'

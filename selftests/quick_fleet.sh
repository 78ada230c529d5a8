#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# wgplanes-quick against stock wg-quick. Namespace "stock" runs real
# wg-quick for four interfaces wg0..wg3 (10.77-10.80/16, ports
# 51820-51823); namespace "hub" brings the same layout up as one fleet from
# plane files. Checked: every plane pings both ways; an nftables ruleset
# that admits SSH on wg1 and metrics on wg2 admits exactly that, by plane
# and not by address; up is idempotent; save round-trips; hooks and DNS
# run; Table = auto with 0.0.0.0/0 routes everything through one plane
# while its outer packets still leave; a failure part-way and down leave
# no link, address, route, rule or firewall state behind; import of the
# four wg-quick files gives the running state of four wg-quick up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd wg-quick nft ss
QUICK=$WGPLANES_TOP/tools/quick/wgplanes-quick
ROLES=(enroll mgmt backend storage)

new_ns hub
new_ns stock
check "outer link hub <-> stock" veth_link "$hub" eth0 192.168.50.1/24 \
	"$stock" eth0 192.168.50.2/24

# quick NS ARGS...: wgplanes-quick in NS, with a recording resolvconf.
mkdir -p "$WG_TMP/bin" "$WG_TMP/etc"
cat >"$WG_TMP/bin/resolvconf" <<EOF
#!/bin/sh
{ echo "resolvconf \$*"; [ "\$1" != -a ] || cat; } >>"$WG_TMP/resolvconf.log"
EOF
chmod +x "$WG_TMP/bin/resolvconf"
quick() {
	local ns=$1
	shift
	ip netns exec "$ns" env WGPLANES="$WGPLANES" \
		PATH="$WG_TMP/bin:$PATH" \
		WGPLANES_QUICK_CONFIG_ROOT="$WG_TMP/etc" "$QUICK" "$@"
}

# The plane files and the stock host's wg-quick files.
fleet=$WG_TMP/fleet0
mkdir -p "$fleet" "$WG_TMP/stock"
for k in 0 1 2 3; do
	n=$((77 + k))
	keypair "hub$k" >/dev/null
	keypair "stock$k" >/dev/null
	{
		echo "[Interface]"
		# wg0 has no Role: it takes the first default role left
		[ $k = 0 ] || echo "Role = ${ROLES[k]}"
		echo "Address = 10.$n.0.1/16"
		echo "ListenPort = $((51820 + k))"
		echo "PrivateKey = $(cat "$(keyfile "hub$k")")"
		echo "PostUp = echo up %i >>$WG_TMP/hooks.log"
		echo "PreDown = echo predown %i >>$WG_TMP/hooks.log"
		echo "PostDown = echo postdown %i >>$WG_TMP/hooks.log"
		[ $k != 1 ] || echo "DNS = 10.78.0.53, fleet.example"
		echo
		echo "[Peer]"
		echo "PublicKey = $(pubkey_of "stock$k")"
		echo "Endpoint = 192.168.50.2:$((51820 + k))"
		echo "AllowedIPs = 10.$n.0.2/32"
	} >"$fleet/wg$k.conf"
	{
		echo "[Interface]"
		echo "Address = 10.$n.0.2/16"
		echo "ListenPort = $((51820 + k))"
		echo "PrivateKey = $(cat "$(keyfile "stock$k")")"
		echo
		echo "[Peer]"
		echo "PublicKey = $(pubkey_of "hub$k")"
		echo "Endpoint = 192.168.50.1:$((51820 + k))"
		echo "AllowedIPs = 10.$n.0.1/32"
	} >"$WG_TMP/stock/wg$k.conf"
	cp "$fleet/wg$k.conf" "$WG_TMP/wg$k.conf.orig"
	check "stock host: wg-quick up wg$k" \
		ip netns exec "$stock" wg-quick up "$WG_TMP/stock/wg$k.conf"
done

# The hub's firewall, before the fleet exists (iifname matches by name):
# SSH only on mgmt (wg1), metrics only on backend (wg2).
check "hub firewall: SSH on wg1, metrics on wg2, nothing else" \
	ip netns exec "$hub" nft -f - <<'EOF'
table inet filt {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "wg1" tcp dport 22 accept
		iifname "wg2" tcp dport 9100 accept
		iifname { "wg0", "wg1", "wg2", "wg3" } tcp dport { 22, 9100 } drop
	}
}
EOF

# snapshot NS: the state that up may add to and down must take away.
snapshot() {
	ip -n "$1" -o link show | awk -F': ' '{ print $2 }'
	ip -n "$1" -o address show | awk '{ print $2, $3, $4 }'
	ip -n "$1" route show table all
	ip -n "$1" -4 rule show
	ip -n "$1" -6 rule show
	ip netns exec "$1" nft list ruleset
}
snapshot "$hub" >"$WG_TMP/before"
same_as_before() {
	snapshot "$hub" >"$WG_TMP/now"
	diff "$WG_TMP/before" "$WG_TMP/now"
}

# A failure part-way (the last plane's PostUp hook fails, after the fleet,
# three planes' addresses and routes and the DNS are in place) leaves
# nothing behind.
sed -i 's/^\[Peer\]/PostUp = false\n[Peer]/' "$fleet/wg3.conf"
check_output "up fails at the failing hook, naming its file and line" \
	"wg3.conf:[0-9]+: hook failed: false" quick "$hub" up "$fleet"
check "after the failed up: no link, address, route, rule or nft state" \
	same_as_before
check_output "after the failed up: DNS taken back" \
	"resolvconf -d tun.wg1" cat "$WG_TMP/resolvconf.log"
cp "$WG_TMP/wg3.conf.orig" "$fleet/wg3.conf"
: >"$WG_TMP/resolvconf.log"
: >"$WG_TMP/hooks.log"

# A bad file is refused before anything is made.
sed -i 's|^AllowedIPs = 10.79.0.2/32|AllowedIPs = 10.79.0.2/40|' \
	"$fleet/wg2.conf"
check_output "a bad AllowedIPs: file and line, before anything is made" \
	"fleet0/wg2.conf:13: invalid AllowedIPs '10.79.0.2/40'" \
	quick "$hub" up "$fleet"
check "after the refused up: nothing changed" same_as_before
cp "$WG_TMP/wg2.conf.orig" "$fleet/wg2.conf"

check "wgplanes-quick up fleet0" quick "$hub" up "$fleet"
for k in 0 1 2 3; do
	check_output "plane wg$k is plane $k (${ROLES[k]}) of fleet0" \
		"plane $k: ${ROLES[k]}, wg$k " dut_wg "$hub" fleet show fleet0
	check_output "ip link shows wg$k@fleet0" "wg$k@fleet0" \
		ip -n "$hub" link show wg$k
	check "wg$k: the MTU wg-quick chose for stock wg$k" test \
		"$(ip netns exec "$hub" cat /sys/class/net/wg$k/mtu)" = \
		"$(ip netns exec "$stock" cat /sys/class/net/wg$k/mtu)"
	check "ping over wg$k, hub -> stock" pings "$hub" "10.$((77 + k)).0.2"
	check "ping over wg$k, stock -> hub" pings "$stock" "10.$((77 + k)).0.1"
done
check_output "PostUp hooks ran for each plane, %i replaced" \
	"up wg0.up wg1.up wg2.up wg3" tr '\n' . <"$WG_TMP/hooks.log"
check_output "DNS of wg1 went to resolvconf" \
	"resolvconf -a tun.wg1 -m 0 -x.nameserver 10.78.0.53.search fleet.example" \
	tr '\n' . <"$WG_TMP/resolvconf.log"

# The firewall admits by plane.
tcp_listen "$hub" 22 || fail "TCP server on port 22 in the hub"
tcp_listen "$hub" 9100 || fail "TCP server on port 9100 in the hub"
check "SSH over wg1 (mgmt) is admitted" tcp_greets "$stock" 10.78.0.1 22
check_fail "metrics over wg1 are not" tcp_greets "$stock" 10.78.0.1 9100
check "metrics over wg2 (backend) are admitted" \
	tcp_greets "$stock" 10.79.0.1 9100
check_fail "SSH over wg2 is not" tcp_greets "$stock" 10.79.0.1 22
check_fail "SSH over wg0 (enroll) is not" tcp_greets "$stock" 10.77.0.1 22
check_fail "metrics over wg3 (storage) are not" \
	tcp_greets "$stock" 10.80.0.1 9100
# wg2's address reached through wg1: the plane decides, not the address
check "stock routes wg2's address through its wg1" \
	ip netns exec "$stock" sh -c "
	wg set wg1 peer $(pubkey_of hub1) allowed-ips 10.78.0.1/32,10.79.0.1/32 &&
	ip route replace 10.79.0.1/32 dev wg1"
check "SSH to wg2's address over wg1 is admitted" \
	tcp_greets "$stock" 10.79.0.1 22
check_fail "metrics to wg2's address over wg1 are not" \
	tcp_greets "$stock" 10.79.0.1 9100
ip netns exec "$stock" sh -c "
	wg set wg1 peer $(pubkey_of hub1) allowed-ips 10.78.0.1/32 &&
	ip route del 10.79.0.1/32 dev wg1"

# Idempotent: a second up changes nothing.
snapshot "$hub" >"$WG_TMP/up1"
check_output "a second up: already up, success" "already up" \
	quick "$hub" up "$fleet"
check "a second up changes nothing" sh -c \
	"$(declare -f snapshot); snapshot $hub | diff $WG_TMP/up1 -"

# reload (systemctl reload): a peer added to a file goes live, and the
# running session of the plane's other peer is not disturbed.
keypair extra2 >/dev/null
# a peer that syncconf had replaced would start again from 0 bytes
rx=$(dut_wg "$hub" show wg1 transfer | awk '{ print $2 }')
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.78.7.7/32\n' \
	"$(pubkey_of extra2)" >>"$fleet/wg1.conf"
check "wgplanes-quick reload" quick "$hub" reload "$fleet"
check_output "reload: the new peer is live on wg1" \
	"$(re_escape "$(pubkey_of extra2)")" dut_wg "$hub" show wg1 peers
check "reload: the stock host's peer was left alone (its bytes kept)" \
	test "$(dut_wg "$hub" show wg1 transfer |
		awk -v k="$(pubkey_of stock1)" '$1 == k { print $2 }')" -ge "$rx"
check_fail "reload: and it had some" test "$rx" -eq 0

# save writes the running peers back and keeps the file's own keys.
keypair extra >/dev/null
check "a peer added at run time" dut_wg "$hub" set wg1 peer \
	"$(pubkey_of extra)" allowed-ips 10.99.9.9/32
check "wgplanes-quick save" quick "$hub" save "$fleet"
check_output "saved wg1.conf has the new peer" \
	"PublicKey = $(re_escape "$(pubkey_of extra)")" cat "$fleet/wg1.conf"
check_output "saved wg1.conf keeps Role, Address, DNS and hooks" \
	"Role = mgmt.Address = 10.78.0.1/16.DNS = 10.78.0.53, fleet.example.PostUp = echo up %i" \
	tr '\n' . <"$fleet/wg1.conf"
check "saved files are mode 0600" test "$(stat -c %a "$fleet/wg1.conf")" = 600

: >"$WG_TMP/hooks.log"
check "wgplanes-quick down fleet0" quick "$hub" down "$fleet"
check_output "PreDown and PostDown hooks ran, in order" \
	"predown wg0.*predown wg3.*postdown wg0.*postdown wg3" \
	tr '\n' . <"$WG_TMP/hooks.log"
check_output "DNS of wg1 taken back" "resolvconf -d tun.wg1" \
	cat "$WG_TMP/resolvconf.log"
check "after down: no link, address, route, rule or nft state" \
	same_as_before
check_fail "after down: no fleet" ip -n "$hub" link show fleet0

check_output "up again from the saved files, showing what it runs" \
	"\[#\] wgplanes setconf wg1 <\(wgplanes-quick strip $fleet/wg1.conf\)" \
	quick "$hub" up "$fleet"
check "fleet0 is up" ip -n "$hub" link show fleet0
check_output "the saved peer is back on wg1" \
	"$(re_escape "$(pubkey_of extra)")" dut_wg "$hub" show wg1 peers
check_output "and so is its route" "^10.99.9.9 " \
	ip -n "$hub" route show dev wg1
check "ping over wg1 after the round trip" pings "$hub" 10.78.0.2
check "down" quick "$hub" down "$fleet"
cp "$WG_TMP/wg1.conf.orig" "$fleet/wg1.conf"

# Table = auto and a default route through the storage plane (wg3).
ip -n "$stock" address add 10.200.0.1/32 dev lo
ip netns exec "$stock" wg set wg3 peer "$(pubkey_of hub3)" \
	allowed-ips 10.80.0.1/32,10.80.0.0/16
sed -i 's|^AllowedIPs = 10.80.0.2/32|AllowedIPs = 0.0.0.0/0|' "$fleet/wg3.conf"
check "up with AllowedIPs = 0.0.0.0/0 on wg3" quick "$hub" up "$fleet"
check_output "everything routes through wg3" "dev wg3" \
	ip -n "$hub" route get 10.200.0.1
check_output "the outer link still routes directly" "dev eth0" \
	ip -n "$hub" route get 192.168.50.2
check_output "wg3 marks its outer packets" "^0x" \
	dut_wg "$hub" show wg3 fwmark
check "a host beyond the stock end answers through wg3" \
	pings "$hub" 10.200.0.1
check "the other planes still work" pings "$hub" 10.78.0.2
check "down" quick "$hub" down "$fleet"
check "after down: no route, rule or nft state of the default route" \
	same_as_before
# The fleet deleted behind wgplanes-quick's back: down still takes away
# the rules and the firewall table that up added around it.
check "up with the default route again" quick "$hub" up "$fleet"
check "ip link del fleet0" ip -n "$hub" link del fleet0
check_output "down after ip link del undoes what up did" \
	"deleted without down" quick "$hub" down "$fleet"
check "after it: no rule or nft state left" same_as_before
cp "$WG_TMP/wg3.conf.orig" "$fleet/wg3.conf"
ip netns exec "$stock" wg set wg3 peer "$(pubkey_of hub3)" \
	allowed-ips 10.80.0.1/32
ip -n "$stock" address del 10.200.0.1/32 dev lo

# import of the stock host's four files, brought up by name in a third
# namespace, gives the running state of the four wg-quick up.
new_ns twin
check "outer link for the twin" veth_link "$twin" eth0 192.168.50.2/24 \
	"$hub" eth1 ""
check "import fleet0 from the four wg-quick files" quick "$twin" import \
	fleet0 "$WG_TMP"/stock/wg{0,1,2,3}.conf
check "up fleet0 by name" quick "$twin" up fleet0
running() { # NS DEV TOOL
	ip netns exec "$1" "$3" showconf "$2" | grep -v '^$' | sort
	ip -n "$1" -o address show dev "$2" | awk '{ print $3, $4 }'
	ip -n "$1" route show dev "$2"
	ip netns exec "$1" cat "/sys/class/net/$2/mtu"
	ip -n "$1" -o link show up dev "$2" | wc -l
}
for k in 0 1 2 3; do
	check "wg$k: keys, port, peers, addresses, routes, MTU and up as wg-quick's" \
		diff <(running "$stock" "wg$k" wg) <(running "$twin" "wg$k" "$WGPLANES")
done
check "down fleet0 by name" quick "$twin" down fleet0

test_end

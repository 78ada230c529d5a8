#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The wgplanes tool against the module: fleets (add with a plane count or
# names, show, del), policy words on set and their display, JSON output,
# kernel error messages passed through, and privilege checks.
. "$(dirname "$0")/lib.sh"

require_root
require_module
require_cmd python3 setpriv
new_ns ns

W() { ip netns exec "$ns" "$WGPLANES" "$@"; }
nobody() {
	ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all "$WGPLANES" "$@"
}
json() { # json EXPR COMMAND...: print a python expression of the JSON output
	local expr=$1
	shift
	"$@" | python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)"
}

check "fleet add with defaults" W fleet add f1
check_output "four planes named by role" \
	'f1-enroll@f1.*f1-mgmt@f1.*f1-backend@f1.*f1-storage@f1' \
	sh -c "ip -n $ns -o link show type wgplane | tr '\n' ' '"
check "fleet add with a plane count" W fleet add f2 planes 2
check_output "two planes" '^2$' sh -c \
	"ip -n $ns -o link show type wgplane | grep -c '@f2:'"
check "fleet add with plane names" W fleet add f3 names web,db,backup
check_output "named planes" 'f3-web@f3.*f3-db@f3.*f3-backup@f3' \
	sh -c "ip -n $ns -o link show type wgplane | tr '\n' ' '"
check_output "9 planes are refused by the kernel" 'out of range|1\.\.8|range' \
	W fleet add f4 planes 9
check_output "duplicate names are refused with a reason" 'unique' \
	W fleet add f5 names a,a
check_output "bad characters in a name are refused" 'invalid plane names' \
	W fleet add f6 names 'a/b'
check_output "refused fleets leave nothing" '^3$' sh -c \
	"ip -n $ns -o link show type wgplanes | wc -l"
check_output "fleet show lists planes" \
	'plane 1: db, f3-db' W fleet show f3
check_output "fleet show --json" '^3 backup$' \
	json 'len(d["fleets"][0]["planes"]), d["fleets"][0]["planes"][2]["name"]' \
	W fleet show f3 --json
check_output "fleet del refuses a non-fleet" 'not a (wgplanes )?fleet' W fleet del f1-mgmt
check "fleet del" W fleet del f2
check_fail "f2 is gone" ip -n "$ns" link show f2-mgmt

# policy words
check "set policy words" W set f1-mgmt cpus 0 priority high rate 200mbit \
	burst 256k txqueue 512 hsqueue 1024
check_output "show prints the policy" \
	'policy: cpus 0 \(effective 0\), priority high, rate 200mbit, burst 256k' \
	W show f1-mgmt
check_output "show --json has the policy" \
	'^0 high 200000000 262144 512 1024$' \
	json 'd["planes"][0]["policy"]["cpus"], d["planes"][0]["policy"]["priority"], d["planes"][0]["policy"]["rate"], d["planes"][0]["policy"]["burst"], d["planes"][0]["policy"]["txqueue"], d["planes"][0]["policy"]["hsqueue"]' \
	W show f1-mgmt --json
check_output "showconf has a [Policy] section" \
	'\[Policy\].*CPUs = 0.*Priority = high.*Rate = 200mbit' \
	sh -c "ip netns exec $ns $WGPLANES showconf f1-mgmt | tr '\n' ' '"
check "policy back to defaults" W set f1-mgmt cpus all priority normal rate off \
	txqueue 128 hsqueue 4096
check_output "showconf without [Policy] at defaults" '^0$' sh -c \
	"ip netns exec $ns $WGPLANES showconf f1-mgmt | grep -c Policy; ip netns exec $ns $WGPLANES showconf f1-mgmt"
check_output "a CPU beyond the last is refused by the kernel" \
	'unable to modify plane.*cpus' W set f1-mgmt cpus 4096
check_output "a too small queue is refused" "invalid txqueue '2'" \
	W set f1-mgmt txqueue 2
check_output "the tool refuses a bad rate itself" "invalid rate '10bit'" \
	W set f1-mgmt rate 10bit
check_output "show --json of all planes parses" '^7$' \
	json 'len(d["planes"])' W show all --json
check_output "a non-plane device is refused" 'not a wgplanes plane|Operation not supported' \
	W show lo

# the listen port of a plane that is up
check "plane up on port 51821" sh -c "ip netns exec $ns $WGPLANES set f1-mgmt listen-port 51821 &&
	ip -n $ns link set f1-mgmt up"
check_output "its socket listens on 51821" ':51821 ' ip netns exec "$ns" ss -Huln
check "change the port while up" W set f1-mgmt listen-port 51999
check_output "the socket moved to 51999" ':51999 ' ip netns exec "$ns" ss -Huln
check_output "51821 is free again" '^0$' sh -c \
	"ip netns exec $ns ss -Huln | grep -c ':51821 ' || true"
check "another plane up" ip -n "$ns" link set f1-backend up
check_output "a port in use is refused with a reason" 'cannot bind the listen port' \
	W set f1-backend listen-port 51999
check_output "show reports the bound port" '^51999$' W show f1-mgmt listen-port

# privileges
key=$(W genkey)
check "set a private key" sh -c "echo $key | ip netns exec $ns $WGPLANES set f1-mgmt private-key /dev/stdin"
check "root sees the private key" sh -c \
	"[ \"\$(ip netns exec $ns $WGPLANES show f1-mgmt private-key)\" = '$key' ]"
# as stock wg: nothing of a plane without CAP_NET_ADMIN
check_output "an unprivileged caller cannot show a plane" \
	'Operation not permitted' nobody show f1-mgmt private-key
check_output "nor its public key" 'Operation not permitted' \
	nobody show f1-mgmt public-key
check_output "an unprivileged caller cannot set" 'Operation not permitted' \
	nobody set f1-mgmt listen-port 4000
check_output "nor add a fleet" 'Operation not permitted' nobody fleet add f9

test_end

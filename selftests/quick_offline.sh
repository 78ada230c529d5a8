#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of wgplanes-quick that need no kernel module: the mesh generator,
# import of wg-quick files, strip and the errors on bad plane files (file,
# line and key), and its systemd units under systemd-analyze verify. The
# fleets themselves are brought up in the VM (quick_fleet.sh,
# quick_mesh.sh).
#
# Exit codes as kselftest: 0 pass, 1 fail, 4 skip.
set -e
set -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export WGPLANES=${WGPLANES:-$top/tools/wgplanes/wgplanes}
QUICK=$top/tools/quick/wgplanes-quick

. "$(dirname "$0")/lib_host.sh"
export WGPLANES_QUICK_CONFIG_ROOT=$tmp/etc/wgplanes

# expect_error DESC REGEX COMMAND...: COMMAND fails and says REGEX.
expect_error() {
	local desc=$1 re=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$desc (succeeded)"
	elif grep -Eq -- "$re" <<<"$out"; then
		ok "$desc"
	else
		fail "$desc (no match for '$re')"
		sed -n '1,5s/^/#   /p' <<<"$out"
	fi
}
mode_of() { stat -c %a "$1"; }
# conf_value FILE KEY: the values of KEY in FILE, one per line.
conf_value() { sed -n "s/^$2 = //p" "$1"; }

# ------------------------------------------------------------ mesh
cat >"$tmp/nodes.txt" <<'EOF'
# name public_ip index
alpha 192.0.2.1 1
beta 192.0.2.2 2   # a comment
gamma 2001:db8::3 300
EOF
expect "mesh writes three nodes" "$QUICK" mesh "$tmp/nodes.txt" "$tmp/mesh"
names=(alpha beta gamma)
ips=(192.0.2.1 192.0.2.2 "[2001:db8::3]")
idx=(1 2 300)
addr() { echo "10.$((77 + $1)).$(($2 >> 8)).$(($2 & 255))"; }
for i in 0 1 2; do
	d=$tmp/mesh/${names[i]}
	[ "$(mode_of "$d")" = 700 ] && ok "mesh: ${names[i]}/ is mode 0700" ||
		fail "mesh: ${names[i]}/ is mode $(mode_of "$d")"
	for k in 0 1 2 3; do
		f=$d/wg$k.conf
		if [ "$(mode_of "$f")" != 600 ]; then
			fail "mesh: ${names[i]}/wg$k.conf is mode $(mode_of "$f")"
			continue
		fi
		errs=""
		[ "$(conf_value "$f" Address)" = "$(addr $k "${idx[i]}")/16" ] ||
			errs+=" address"
		[ "$(conf_value "$f" ListenPort)" = $((51820 + k)) ] ||
			errs+=" port"
		"$WGPLANES" parseconf <("$QUICK" strip "$f") >/dev/null 2>&1 ||
			errs+=" parseconf"
		# the file works for stock wg-quick too: no wgplanes-only key
		grep -Eqi '^(Role|CPUs|Priority|Rate|Burst)' "$f" &&
			errs+=" wgplanes-only-key"
		[ "$(grep -c '^\[Peer\]' "$f")" = 2 ] || errs+=" peer-count"
		for j in 0 1 2; do
			[ "$j" != "$i" ] || continue
			# the peer's public key is that of the other node's
			# private key on the same plane
			pub=$(conf_value "$tmp/mesh/${names[j]}/wg$k.conf" \
				PrivateKey | "$WGPLANES" pubkey)
			sec=$(awk -v k="$pub" '
				/^\[Peer\]/ { p = "" }
				{ p = p $0 "\n" }
				$0 == "PublicKey = " k { hit = 1 }
				hit && /^AllowedIPs/ { print p; exit }' "$f")
			grep -qFx "Endpoint = ${ips[j]}:$((51820 + k))" <<<"$sec" ||
				errs+=" endpoint-of-${names[j]}"
			grep -q "^AllowedIPs = $(addr $k "${idx[j]}")/32$" <<<"$sec" ||
				errs+=" allowedips-of-${names[j]}"
		done
		if [ -z "$errs" ]; then
			ok "mesh: ${names[i]}/wg$k.conf: address, port, peers, keys"
		else
			fail "mesh: ${names[i]}/wg$k.conf:$errs"
		fi
	done
done
pubs=$(cat "$tmp"/mesh/*/wg*.conf | sed -n 's/^PrivateKey = //p' | sort -u | wc -l)
[ "$pubs" = 12 ] && ok "mesh: 12 distinct private keys" ||
	fail "mesh: $pubs distinct private keys, want 12"
expect_error "mesh does not overwrite a node" \
	"alpha exists; mesh does not overwrite keys" \
	"$QUICK" mesh "$tmp/nodes.txt" "$tmp/mesh"
printf 'a 192.0.2.1 1\nb 192.0.2.2 1\n' >"$tmp/dup.txt"
expect_error "mesh: a duplicate index names file and line" \
	"dup.txt:2: index 1 given twice" "$QUICK" mesh "$tmp/dup.txt" "$tmp/m2"
printf 'a 192.0.2.1 1\nb not-an-ip 2\n' >"$tmp/badip.txt"
expect_error "mesh: a bad address names file and line" \
	"badip.txt:2: invalid public_ip 'not-an-ip'" \
	"$QUICK" mesh "$tmp/badip.txt" "$tmp/m3"
printf 'a 192.0.2.1 1\nb 192.0.2.2 2 extra\n' >"$tmp/extra.txt"
expect_error "mesh: an extra field names file and line" \
	"extra.txt:2: expected 'name public_ip index'" \
	"$QUICK" mesh "$tmp/extra.txt" "$tmp/m4"
printf 'a 192.0.2.1 0300\nb 192.0.2.2 300\n' >"$tmp/octal.txt"
expect_error "mesh: an index is decimal, leading zeros or not" \
	"octal.txt:2: index 300 given twice" \
	"$QUICK" mesh "$tmp/octal.txt" "$tmp/m5"
printf 'a 192.0.2.1 1\nb beef 2\n' >"$tmp/hex.txt"
expect_error "mesh: a bare hex word is no IPv6 address" \
	"hex.txt:2: invalid public_ip 'beef'" \
	"$QUICK" mesh "$tmp/hex.txt" "$tmp/m6"
[ ! -e "$tmp/m2" ] && [ ! -e "$tmp/m3" ] && [ ! -e "$tmp/m5" ] &&
	ok "mesh: a bad nodes file writes nothing" ||
	fail "mesh: a bad nodes file left output behind"

# ------------------------------------------------------------ import
mkdir "$tmp/wgq"
for k in 0 1 2 3; do
	cp "$tmp/mesh/alpha/wg$k.conf" "$tmp/wgq/wg$k.conf"
done
sed -i 's/^\[Interface\]/[Interface]\nPostUp = logger up %i\nDNS = 10.77.0.53/' \
	"$tmp/wgq/wg1.conf"
out=$("$QUICK" import fleet0 "$tmp"/wgq/wg{0,1,2,3}.conf 2>&1) &&
	ok "import of four wg-quick files" || fail "import: $out"
grep -q "systemctl disable --now wg-quick@wg0 wg-quick@wg1 wg-quick@wg2 wg-quick@wg3" <<<"$out" &&
	grep -q "systemctl enable --now wgplanes-quick@fleet0" <<<"$out" &&
	ok "import tells what to stop and what to enable" ||
	fail "import output: $out"
roles=(enroll mgmt backend storage)
for k in 0 1 2 3; do
	f=$WGPLANES_QUICK_CONFIG_ROOT/fleet0/wg$k.conf
	if [ "$(conf_value "$f" Role)" = "${roles[k]}" ] &&
	   [ "$(mode_of "$f")" = 600 ] &&
	   diff <(grep -v '^Role = ' "$f") "$tmp/wgq/wg$k.conf" >/dev/null; then
		ok "import: wg$k.conf keeps every line and gains Role = ${roles[k]}"
	else
		fail "import: wg$k.conf"
	fi
done
[ "$(mode_of "$WGPLANES_QUICK_CONFIG_ROOT/fleet0")" = 700 ] &&
	ok "import: the fleet directory is mode 0700" ||
	fail "import: fleet directory mode"
expect_error "import refuses to overwrite a fleet" "fleet0 exists and is not empty" \
	"$QUICK" import fleet0 "$tmp/wgq/wg0.conf"
expect_error "import of a file not named DEVICE.conf" "named DEVICE.conf" \
	"$QUICK" import fleet1 "$tmp/nodes.txt"
# A file that names its role keeps it; the others take the default roles
# left, in the order given.
mkdir "$tmp/wgr"
printf '[Interface] # the enrollment plane\nListenPort = 1\n' >"$tmp/wgr/e.conf"
printf '[Interface]\nRole = enroll\nListenPort = 2\n' >"$tmp/wgr/x.conf"
out=$("$QUICK" import fleet2 "$tmp/wgr/e.conf" "$tmp/wgr/x.conf" 2>&1) &&
	grep -q "x: plane 0, role enroll" <<<"$out" &&
	grep -q "e: plane 1, role mgmt" <<<"$out" &&
	[ "$(conf_value "$WGPLANES_QUICK_CONFIG_ROOT/fleet2/e.conf" Role)" = mgmt ] &&
	ok "import: roles named in files are kept, the others fill in" ||
	{ fail "import with a named role"; sed 's/^/#   /' <<<"$out"; }
printf '[Interface]\nListenPort = 1\nMTU = huge\n' >"$tmp/wgr/y.conf"
expect_error "import: an error names the file given and its own line" \
	"$tmp/wgr/y.conf:3: invalid MTU 'huge'" \
	"$QUICK" import fleet3 "$tmp/wgr/y.conf"
[ ! -e "$WGPLANES_QUICK_CONFIG_ROOT/fleet3" ] &&
	ok "import: a bad file writes nothing" || fail "import: fleet3 written"

# Files whose hooks run as root must be root's alone (checked before
# anything touches the kernel).
if [ "$(id -u)" = 0 ]; then
	f=$WGPLANES_QUICK_CONFIG_ROOT/fleet0/wg1.conf
	chmod 0666 "$f"
	expect_error "up refuses a plane file that others may write" \
		"wg1.conf: writable by group or others \(mode 666\)" \
		"$QUICK" up fleet0
	chmod 0600 "$f"
	chmod 0777 "${f%/*}"
	expect_error "up refuses a fleet directory that others may write" \
		"fleet0: writable by group or others \(mode 777\)" \
		"$QUICK" down fleet0
	chmod 0700 "${f%/*}"
	chown 65534 "$f"
	expect_error "up refuses a plane file that another user owns" \
		"wg1.conf: owned by uid 65534" "$QUICK" reload fleet0
	chown 0 "$f"
fi

# ------------------------------------------------------------ strip
s=$("$QUICK" strip fleet0 wg1 2>&1) || true
if grep -q '^PrivateKey = ' <<<"$s" && grep -q '^\[Peer\]' <<<"$s" &&
   ! grep -Eq '^(Role|PostUp|DNS|Address) ' <<<"$s"; then
	ok "strip drops the wg-quick and fleet keys, keeps the rest"
else
	fail "strip output: $s"
fi
out=$("$QUICK" strip fleet0 | grep '^# wg') || true
[ "$out" = "$(printf '# wg0 (plane 0, enroll)\n# wg1 (plane 1, mgmt)\n# wg2 (plane 2, backend)\n# wg3 (plane 3, storage)')" ] &&
	ok "strip of a fleet lists its planes in role order" ||
	fail "strip of the fleet: $out"

# Roles order planes: a file without Role takes the next free default role.
mkdir -p "$tmp/order/fl"
for n in a b c; do
	printf '[Interface]\nListenPort = 0\n' >"$tmp/order/fl/$n.conf"
done
sed -i 's/^\[Interface\]/[Interface]\nRole = enroll/' "$tmp/order/fl/c.conf"
sed -i 's/^\[Interface\]/[Interface]\nRole = db/' "$tmp/order/fl/a.conf"
out=$("$QUICK" strip "$tmp/order/fl" | grep '^# ') || true
[ "$out" = "$(printf '# c (plane 0, enroll)\n# b (plane 1, mgmt)\n# a (plane 2, db)')" ] &&
	ok "roles order the planes; own roles after the default ones" ||
	fail "role order: $out"

# Errors name the file, the line and the key.
bad() { # bad NAME CONTENT: a one-plane fleet directory
	rm -rf "$tmp/bad"
	mkdir -p "$tmp/bad/fl"
	printf "$2" >"$tmp/bad/fl/$1.conf"
	echo "$tmp/bad/fl"
}
expect_error "bad MTU: file, line, key" "fl/wg0.conf:3: invalid MTU 'big'" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nListenPort = 1\nMTU = big\n')"
expect_error "bad Table: file, line, key" "fl/wg0.conf:2: invalid Table" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nTable = no/such\n')"
expect_error "bad SaveConfig" "fl/wg0.conf:2: invalid SaveConfig 'yes'" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nSaveConfig = yes\n')"
expect_error "policy key in [Interface]" \
	"fl/wg0.conf:3: 'Rate' belongs in a \[Policy\] section" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nListenPort = 1\nRate = 10mbit\n')"
expect_error "a bad AllowedIPs is reported at its own file and line" \
	"fl/wg0.conf:6: invalid AllowedIPs '10.0.0.0/33'" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nAddress = 10.0.0.1/24\nDNS = 10.0.0.53\n[Peer]\nPublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\nAllowedIPs = 10.0.0.0/33\n')"
expect_error "an unknown key is the tool's error at its line" \
	"fl/wg0.conf:2: .*Bogus" \
	"$QUICK" strip "$(bad wg0 '[Interface]\nBogus = 1\n')"
expect_error "a bad device name" "not a valid device name" \
	"$QUICK" strip "$(bad 'this-name-is-too-long' '[Interface]\n')"
expect_error "a [Policy] value is checked" "fl/wg0.conf:3: invalid Priority 'urgent'" \
	"$QUICK" strip "$(bad wg0 '[Interface]\n[Policy]\nPriority = urgent\n')"
mkdir -p "$tmp/two/fl"
printf '[Interface]\nRole = mgmt\n' >"$tmp/two/fl/x.conf"
printf '[Interface]\nRole = mgmt\n' >"$tmp/two/fl/y.conf"
expect_error "two planes with one role" "y.conf: Role 'mgmt' is already another plane's" \
	"$QUICK" strip "$tmp/two/fl"
expect_error "up needs a fleet directory" "no such directory" \
	"$QUICK" strip "$tmp/none/fl"

# ------------------------------------------------------------ units
if command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
	root=$tmp/root
	mkdir -p "$root/usr/lib/systemd/system"
	# the units verify against the host's own units (targets they order
	# after), installed as make install installs them
	cp -a /lib/systemd/system/. "$root/usr/lib/systemd/system/"
	make -s -C "$top/tools/quick" install DESTDIR="$root" >/dev/null
	make -s -C "$top/tools/wgplanes" install DESTDIR="$root" >/dev/null
	verify() {
		MANPATH=$root/usr/share/man systemd-analyze verify \
			--root="$root" "$@" 2>&1
	}
	out=$(verify /usr/lib/systemd/system/wgplanes-quick@fleet0.service \
		/usr/lib/systemd/system/wgplanes-quick.target) &&
		[ -z "$out" ] &&
		ok "systemd-analyze verify: wgplanes-quick@.service and .target are clean" ||
		{ fail "systemd-analyze verify"; sed 's/^/#   /' <<<"$out"; }
	grep -q '^ExecReload=/usr/bin/wgplanes-quick reload %i$' \
		"$root/usr/lib/systemd/system/wgplanes-quick@.service" &&
		grep -q '^Type=oneshot$' "$root/usr/lib/systemd/system/wgplanes-quick@.service" &&
		grep -q '^RemainAfterExit=yes$' "$root/usr/lib/systemd/system/wgplanes-quick@.service" &&
		ok "the unit: oneshot, remains after exit, reloads through wgplanes-quick reload" ||
		fail "the unit's service settings"
	# the verification itself can fail: without the program it does
	rm "$root/usr/bin/wgplanes-quick"
	if verify /usr/lib/systemd/system/wgplanes-quick@fleet0.service >/dev/null; then
		fail "systemd-analyze verify passes a unit whose program is missing"
	else
		ok "systemd-analyze verify fails a unit whose program is missing"
	fi
else
	fail "systemd-analyze is not available"
fi

host_end

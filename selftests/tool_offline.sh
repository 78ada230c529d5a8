#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the wgplanes tool that need no kernel module: key generation and
# encoding (against the stock wg tool when it is installed), rejection of
# malformed keys, and the config parser through "wgplanes parseconf", which
# never talks to the kernel.
#
# Exit codes as kselftest: 0 pass, 1 fail, 4 skip.
set -e
set -o pipefail

WGPLANES=${WGPLANES:-$(dirname "$0")/../tools/wgplanes/wgplanes}
NKEYS=${NKEYS:-200}

. "$(dirname "$0")/lib_host.sh"

key_re='[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]='

# ---------------------------------------------------------------- keys
for cmd in genkey genpsk; do
	k=$("$WGPLANES" $cmd)
	expect "$cmd prints one base64 key" grep -Eqx "$key_re" <<<"$k"
done
expect "genkey differs between runs" \
	[ "$("$WGPLANES" genkey)" != "$("$WGPLANES" genkey)" ]

# A private key is clamped: low 3 bits of byte 0 clear, byte 31 0b01xxxxxx.
clamped=1
for _ in $(seq 20); do
	bytes=($("$WGPLANES" genkey | base64 -d | od -An -tu1 -v))
	if (( bytes[0] & 7 )) || (( (bytes[31] & 192) != 64 )); then
		clamped=0
	fi
done
expect "genkey output is clamped" [ $clamped = 1 ]

if command -v wg >/dev/null; then
	mismatch=0
	for i in $(seq "$NKEYS"); do
		# Alternate the generator so both tools' keys are covered,
		# plus raw unclamped 32-byte strings (pubkey must clamp).
		case $((i % 3)) in
		0) k=$(wg genkey) ;;
		1) k=$("$WGPLANES" genkey) ;;
		2) k=$(head -c 32 /dev/urandom | base64) ;;
		esac
		a=$(printf '%s\n' "$k" | wg pubkey)
		b=$(printf '%s\n' "$k" | "$WGPLANES" pubkey)
		if [ "$a" != "$b" ]; then
			mismatch=$((mismatch + 1))
			echo "#   $k: wg $a, wgplanes $b"
		fi
	done
	expect "pubkey agrees with wg pubkey on $NKEYS keys" [ $mismatch = 0 ]
else
	echo "# SKIP: wg not installed, pubkey not compared"
fi

# Known answer, independent of wg: the all-zero private key (clamped).
expect "pubkey known answer" [ "$(printf '%s\n' \
	AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= | "$WGPLANES" pubkey)" \
	= L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q= ]

good=$("$WGPLANES" genkey)
bad_keys=(
	""					# empty
	"${good:0:43}"				# no padding
	"${good:0:42}="				# too short
	"${good}A"				# too long
	"${good:0:42}=="			# two pads
	"${good:0:41}-A="			# not in the alphabet
	"${good:0:41}.A="
	"${good:0:10}*${good:11}"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="	# non-canonical
	" $good"				# leading junk
	"${good:0:20} ${good:20}"		# inner space
)
for k in "${bad_keys[@]}"; do
	if printf '%s\n' "$k" | "$WGPLANES" pubkey >/dev/null 2>&1; then
		fail "pubkey rejects '$k'"
	else
		ok "pubkey rejects '$k'"
	fi
done

# -------------------------------------------------------------- parser
K1=$("$WGPLANES" genkey)
P1=$("$WGPLANES" genkey | "$WGPLANES" pubkey)
P2=$("$WGPLANES" genkey | "$WGPLANES" pubkey)
PSK=$("$WGPLANES" genpsk)

# Written in wg showconf's canonical style: must come back byte-identical.
cat > "$tmp/canon.conf" <<CONF
[Interface]
ListenPort = 51820
FwMark = 0x1234
PrivateKey = $K1

[Policy]
CPUs = 0-3,6
Priority = high
Rate = 100mbit
Burst = 64k
TxQueue = 256
EncQueue = 2048
DecQueue = 512
HsQueue = 1024

[Peer]
PublicKey = $P1
PresharedKey = $PSK
AllowedIPs = 10.77.0.2/32, fd00:77::2/128
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = $P2
AllowedIPs = 10.77.1.0/24
Endpoint = [2001:db8::1]:51821
CONF
"$WGPLANES" parseconf "$tmp/canon.conf" > "$tmp/out.conf"
expect "parseconf round trip is byte-identical" \
	cmp -s "$tmp/canon.conf" "$tmp/out.conf"

# Addresses as inet_ntop writes them (the tool formats them itself, for
# speed): random IPv4 and IPv6 allowed IPs and endpoints, written long
# hand, come back in RFC 5952 form, as Python's ipaddress writes them.
python3 - "$K1" "$P1" > "$tmp/addrs.conf" 2> "$tmp/addrs.want" <<'PY'
import ipaddress, random, sys
random.seed(7)
def v6():
    while True:
        w = [random.choice((0, 0, 1, 0xffff, random.getrandbits(16)))
             for _ in range(8)]
        # the forms with an IPv4 address inside are left to inet_ntop
        if any(w[:5]) or w[5] not in (0, 0xffff):
            return ipaddress.IPv6Address(b"".join(x.to_bytes(2, "big")
                                                 for x in w))
print("[Interface]\nPrivateKey = %s\n\n[Peer]\nPublicKey = %s" %
      (sys.argv[1], sys.argv[2]))
ips, want = [], []
for _ in range(2000):
    a = v6()
    ips.append(a.exploded + "/128")
    want.append("%s/128" % a.compressed)
    b = ipaddress.IPv4Address(random.getrandbits(32))
    ips.append("%s/32" % b)
    want.append("%s/32" % b)
print("AllowedIPs = " + ", ".join(ips))
e = v6()
print("Endpoint = [%s]:%d" % (e.exploded, 65535))
sys.stderr.write("AllowedIPs = %s\nEndpoint = [%s]:65535\n" %
                 (", ".join(want), e.compressed))
PY
"$WGPLANES" parseconf "$tmp/addrs.conf" |
	grep -E '^(AllowedIPs|Endpoint) = ' > "$tmp/addrs.got" || true
expect "addresses come back in inet_ntop's form" \
	cmp -s "$tmp/addrs.want" "$tmp/addrs.got"

# Without [Policy], and with no peers: wg's own shape.
printf '[Interface]\nListenPort = 1\nPrivateKey = %s\n\n' "$K1" > "$tmp/plain.conf"
"$WGPLANES" parseconf "$tmp/plain.conf" > "$tmp/out.conf"
expect "parseconf round trip without peers" \
	cmp -s "$tmp/plain.conf" "$tmp/out.conf"

# Sloppy but valid input is normalised: case, spacing, comments, units.
cat > "$tmp/messy.conf" <<CONF
# a comment
[interface]
privatekey=$K1   # trailing comment
  LISTENPORT = 51820
fwmark = off
[policy]
rate = 1.5mbps
burst = 1m
cpus = all
priority = NORMAL
[PEER]
publickey = $P1
allowedips = 10.0.0.1/32 , 10.0.0.2
AllowedIPs = ::/0
persistentkeepalive = off
CONF
cat > "$tmp/messy.want" <<CONF
[Interface]
ListenPort = 51820
PrivateKey = $K1

[Policy]
Rate = 12mbit
Burst = 1m

[Peer]
PublicKey = $P1
AllowedIPs = 10.0.0.1/32, 10.0.0.2/32, ::/0
CONF
"$WGPLANES" parseconf "$tmp/messy.conf" > "$tmp/out.conf"
expect "parseconf normalises a sloppy file" \
	cmp -s "$tmp/messy.want" "$tmp/out.conf"

# bad_conf NAME EXPECTED-MESSAGE CONFIG-TEXT: parse error names file:line.
bad_conf() {
	local f="$tmp/$1.conf" want="wgplanes: $tmp/$1.conf:$2" out
	printf '%s\n' "$3" > "$f"
	if out=$("$WGPLANES" parseconf "$f" 2>&1 >/dev/null); then
		fail "$1: accepted"
	elif [ "$out" = "$want" ]; then
		ok "$1: $2"
	else
		fail "$1: got '$out', want '$want'"
	fi
}

H=$'[Interface]\nListenPort = 1\n[Peer]\nPublicKey = '"$P1"
bad_conf cidr "5: invalid AllowedIPs '10.0.0.0/33'" \
	"$H"$'\nAllowedIPs = 10.0.0.1/32, 10.0.0.0/33'
bad_conf cidr6 "5: invalid AllowedIPs 'fd00::/129'" \
	"$H"$'\nAllowedIPs = fd00::/129'
bad_conf addr "5: invalid AllowedIPs '10.0.0.300/32'" \
	"$H"$'\nAllowedIPs = 10.0.0.300/32'
bad_conf emptyip "5: invalid AllowedIPs '10.0.0.1/32,,10.0.0.2'" \
	"$H"$'\nAllowedIPs = 10.0.0.1/32,,10.0.0.2'
bad_conf endpoint "5: invalid Endpoint '192.0.2.1'" \
	"$H"$'\nEndpoint = 192.0.2.1'
bad_conf keepalive "5: invalid PersistentKeepalive '70000'" \
	"$H"$'\nPersistentKeepalive = 70000'
bad_conf pubkey "4: invalid PublicKey 'abc'" \
	$'[Interface]\nListenPort = 1\n[Peer]\nPublicKey = abc'
bad_conf psk "5: invalid PresharedKey (not a 44-character base64 key)" \
	"$H"$'\nPresharedKey = xyz'
bad_conf port "2: invalid ListenPort '65536'" \
	$'[Interface]\nListenPort = 65536'
bad_conf fwmark "3: invalid FwMark '0xfoo'" \
	$'[Interface]\n# mark\nFwMark = 0xfoo'
bad_conf section "1: unknown section '[Wat]'" $'[Wat]'
bad_conf unknown "2: unknown key 'Foo'" $'[Interface]\nFoo = bar'
bad_conf wrongsec "5: 'ListenPort' does not belong in [Peer]" \
	"$H"$'\nListenPort = 2'
bad_conf nosec "1: 'ListenPort' outside of any section" $'ListenPort = 1'
bad_conf line "2: invalid line 'garbage'" $'[Interface]\ngarbage'
bad_conf nokey "3: [Peer] section without PublicKey" \
	$'[Interface]\nListenPort = 1\n[Peer]\nAllowedIPs = 10.0.0.1/32\n[Peer]'
bad_conf rate "2: invalid Rate '100bit'" $'[Policy]\nRate = 100bit'
bad_conf unit "2: invalid Rate '10furlongs'" $'[Policy]\nRate = 10furlongs'
bad_conf burst "3: invalid Burst '1g'" $'[Policy]\nRate = 1mbit\nBurst = 1g'
bad_conf queue "2: invalid TxQueue '8'" $'[Policy]\nTxQueue = 8'
bad_conf cpus "2: invalid CPUs '3-1'" $'[Policy]\nCPUs = 3-1'
bad_conf prio "2: invalid Priority 'urgent'" $'[Policy]\nPriority = urgent'
for key in Address DNS MTU Table PreUp PostUp PreDown PostDown SaveConfig; do
	bad_conf "wgquick-$key" \
		"3: '$key' is a wg-quick key; wgplanes does not apply it (remove it, or use \`wgplanes-quick strip')" \
		$'[Interface]\nListenPort = 1\n'"$key"' = x'
done

# The words of "set" share the parser: their errors come before any
# netlink traffic, and do not mention the kernel.
set_err() {
	local want=$1 out
	shift
	out=$("$WGPLANES" set no-such-plane "$@" 2>&1 >/dev/null) && true
	if [ "$out" = "wgplanes: $want" ]; then
		ok "set $*: $want"
	else
		fail "set $*: got '$out', want 'wgplanes: $want'"
	fi
}
set_err "invalid listen-port '99999'" listen-port 99999
set_err "invalid rate '5furlongs'" rate 5furlongs
set_err "'endpoint' given before 'peer'" endpoint 192.0.2.1:1
set_err "invalid allowed-ips '10.0.0.0/33'" peer "$P1" allowed-ips 10.0.0.0/33
set_err "invalid argument 'bogus'" bogus 1
echo "not a key" > "$tmp/bad.key"
set_err "invalid private-key (not a 44-character base64 key)" \
	private-key "$tmp/bad.key"

# Splitting of large SET_PLANE requests (a unit test built with the tool).
chunk_test=$(dirname "$WGPLANES")/tests/chunk_test
if [ ! -x "$chunk_test" ] && command -v make >/dev/null; then
	make -s -C "$(dirname "$WGPLANES")" tests/chunk_test >/dev/null 2>&1 || true
fi
if [ -x "$chunk_test" ]; then
	if out=$("$chunk_test" 2>&1); then
		ok "$out"
	else
		fail "SET_PLANE splitting"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
	fi
else
	echo "# SKIP: tests/chunk_test not built"
fi

# ------------------------------------------------------------ the CLI
expect "--version" "$WGPLANES" --version
expect "--help" "$WGPLANES" --help
expect "show --help" "$WGPLANES" show --help
if "$WGPLANES" no-such-command >/dev/null 2>&1; then
	fail "unknown subcommand fails"
else
	ok "unknown subcommand fails"
fi
if "$WGPLANES" --help | grep -q parseconf; then
	fail "parseconf is not listed in --help"
else
	ok "parseconf is not listed in --help"
fi

host_end

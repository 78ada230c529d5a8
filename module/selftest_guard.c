// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the rate guard's arithmetic over the whole validated range
 * of rate and burst, on a clock of its own: a full bucket passes exactly
 * the burst at one instant, an empty one earns a packet exactly when the
 * rate has paid for it (not a nanosecond before), a long idle period
 * refills it to the burst and no further, and the transmit debt takes
 * exactly the packet's time at the rate to pay; charges given back refill it
 * to the burst and no further. A clock that reads behind (another CPU's
 * stamp) earns nothing.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/math64.h>
#include <linux/overflow.h>

#include "device.h"
#include "guard.h"
#include "selftest.h"

#define ST_MTU		1500U
#define ST_BIG		60000U		/* a large datagram: fewer to count */
#define ST_T0		1000000000000ULL	/* any start of the clock */
#define ST_IDLE		BIT_ULL(62)		/* about 146 years */

static const u64 st_rates[] __initconst = {
	WGPLANES_RATE_MIN, WGPLANES_RATE_MIN + 1, 12345678ULL,
	1000000000ULL, 3000000000ULL, 100000000000ULL, 1000000000000ULL,
	4000000000000000ULL, 10000000000000000ULL, 1000000000000000000ULL,
	U64_MAX / 2, U64_MAX,
};

/* bursts (0: automatic) and the packet length charged against them */
static struct {
	u32 burst, len;
} const st_bursts[] __initconst = {
	{ 0, ST_BIG },
	{ WGPLANES_BURST_MIN, ST_MTU },
	{ 64 * ST_MTU, ST_MTU },
	{ WGPLANES_BURST_MAX / ST_BIG * ST_BIG, ST_BIG },
	{ WGPLANES_BURST_MAX, ST_BIG },
};

struct st_guard {
	struct wgp_guard g;
	u64 rate;
	u32 burst;		/* the effective one */
	u32 len;		/* of every packet */
	u64 now;
	unsigned long checks;
};

/* wgp_selftest_guard() names the rate and burst of a failed check */
#define st_ok(c, ok, fmt, ...) \
	wgp_st_ok(&(c)->checks, ok, "guard self-test: " fmt, ##__VA_ARGS__)

/* Packets of c->len charged at this instant until one is refused. */
static u64 __init st_drain(struct st_guard *c, bool rx, u64 bound)
{
	u64 n = 0;

	while (n <= bound &&
	       wgp_guard_charge(&c->g, rx ? &c->g.rx : &c->g.tx, c->len,
				c->now))
		n++;
	return n;
}

/* ns until the rate has paid for @bytes: ceil(8e9 * bytes / rate). */
static u64 __init st_ns(u64 rate, u64 bytes)
{
	u64 rem, ns = div64_u64_rem(bytes * 8 * NSEC_PER_SEC, rate, &rem);

	return rem ? ns + 1 : ns;
}

static u32 __init st_auto(u64 rate, u32 per_second)
{
	return clamp_t(u64, div64_u64(rate, 8 * per_second), 64 * 1024,
		       WGPLANES_BURST_MAX);
}

static int __init st_one(struct st_guard *c, bool rx, u32 burst)
{
	/* both pass the burst and one packet more, which goes into debt */
	u64 full = c->burst / c->len + 1;
	const char *dir = rx ? "rx" : "tx";
	struct wgp_bucket *b = rx ? &c->g.rx : &c->g.tx;
	u64 n, debt, t = st_ns(c->rate, c->len);

	c->now = ST_T0;
	wgp_guard_set(&c->g, c->rate, burst, c->now);
	n = st_drain(c, rx, full + 1);
	if (!st_ok(c, n == full, "%s: a full bucket passed %llu packets, not %llu",
		   dir, n, full))
		return -EINVAL;
	/* what the last packet took beyond the burst */
	debt = st_ns(c->rate, full * c->len - c->burst);
	if (!st_ok(c, wgp_guard_debt_ns(&c->g, b) == debt,
		   "%s: a debt takes %llu ns to pay, not %llu", dir,
		   wgp_guard_debt_ns(&c->g, b), debt))
		return -EINVAL;

	/* a clock read behind the last one earns nothing */
	n = st_drain(c, rx, 1);
	c->now -= 1;
	n += st_drain(c, rx, 1);
	c->now += 1;
	if (!st_ok(c, n == 0, "%s: %llu packets passed on a clock behind",
		   dir, n))
		return -EINVAL;

	/*
	 * From empty (or in debt), one packet's time earns one packet, not a
	 * nanosecond before; at rates where that nanosecond pays for more,
	 * it earns no more than a full bucket.
	 */
	if (c->burst % c->len == 0) {
		u64 earned, one = (u64)c->len * 8 * NSEC_PER_SEC;
		bool single = !check_mul_overflow(t, c->rate, &earned) &&
			      earned < 2 * one;

		c->now += t - 1;
		n = st_drain(c, rx, 1);
		if (!st_ok(c, n == 0, "%s: a packet passed %llu ns early",
			   dir, 1ULL))
			return -EINVAL;
		c->now += 1;
		n = st_drain(c, rx, full + 1);
		if (!st_ok(c, single ? n == 1 : n >= 1 && n <= full,
			   "%s: %llu packets passed after %llu ns", dir, n, t))
			return -EINVAL;
	}

	/* a long idle period fills the bucket to the burst, no further */
	c->now += ST_IDLE;
	n = st_drain(c, rx, full + 1);
	if (!st_ok(c, n == full, "%s: after a long idle %llu packets passed, not %llu",
		   dir, n, full))
		return -EINVAL;

	/* charges given back (junk) refill it to the burst, no further */
	for (n = 0; n <= full; n++)
		wgp_guard_refund(&c->g, b, c->len, c->now);
	n = st_drain(c, rx, full + 1);
	if (!st_ok(c, n == full, "%s: after refunds %llu packets passed, not %llu",
		   dir, n, full))
		return -EINVAL;
	return 0;
}

int __init wgp_selftest_guard(void)
{
	struct st_guard *c;
	unsigned int i, j;
	int ret = 0;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(st_rates) && !ret; i++) {
		for (j = 0; j < ARRAY_SIZE(st_bursts) && !ret; j++) {
			u32 burst = st_bursts[j].burst;

			c->rate = st_rates[i];
			c->len = st_bursts[j].len;
			/* automatic: 10 ms at the rate for tx, 50 ms for rx */
			c->burst = burst ?: st_auto(c->rate, 100);
			ret = st_one(c, false, burst);
			if (ret)
				break;
			c->burst = burst ?: st_auto(c->rate, 20);
			ret = st_one(c, true, burst);
		}
	}
	if (!ret)
		pr_info("guard self-test: %lu checks passed\n", c->checks);
	else
		pr_err("guard self-test: failed at rate %llu burst %u\n",
		       c->rate, c->burst);
	kfree(c);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * cpuhog: keeps the CPU it runs on busy at real-time priority, leaving it
 * to other tasks for IDLE_US every BUSY_US, for SECONDS (or until killed).
 * Pin it with taskset. It makes a kernel worker on that CPU crawl, at a
 * steady pace, without starving it.
 *
 *   cpuhog BUSY_US IDLE_US SECONDS
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 1 };
	double busy, end, t;
	struct timespec idle;

	if (argc != 4) {
		fprintf(stderr, "usage: cpuhog BUSY_US IDLE_US SECONDS\n");
		return 2;
	}
	busy = atof(argv[1]) / 1e6;
	idle.tv_sec = 0;
	idle.tv_nsec = atol(argv[2]) * 1000;
	end = now() + atof(argv[3]);
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("cpuhog: sched_setscheduler");
		return 1;
	}
	while ((t = now()) < end) {
		while (now() < t + busy)
			;
		nanosleep(&idle, NULL);
	}
	return 0;
}

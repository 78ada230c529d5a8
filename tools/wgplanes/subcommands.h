/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_SUBCOMMANDS_H
#define _WGP_SUBCOMMANDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Global flags, taken from anywhere on the command line. */
extern bool opt_json;
extern bool opt_show_keys;

int show_main(int argc, char *argv[]);
int showconf_main(int argc, char *argv[]);
int parseconf_main(int argc, char *argv[]);
int set_main(int argc, char *argv[]);
int setconf_main(int argc, char *argv[]);
int genkey_main(int argc, char *argv[]);
int pubkey_main(int argc, char *argv[]);
int fleet_main(int argc, char *argv[]);

/* Shared by show and fleet show. */
extern const char *const counter_names[];
void json_string(FILE *f, const char *s);
void json_counters(FILE *f, const uint64_t *counters);

#endif /* _WGP_SUBCOMMANDS_H */

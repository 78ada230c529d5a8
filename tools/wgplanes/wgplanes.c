// SPDX-License-Identifier: GPL-2.0
/*
 * wgplanes: configure the planes of a wgplanes fleet. The command line is a
 * superset of wg's, so tools written for wg work on planes.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "subcommands.h"

#ifndef WGPLANES_VERSION
#define WGPLANES_VERSION "unknown"
#endif

bool opt_json;
bool opt_show_keys;

static const struct {
	const char *name;
	int (*handler)(int argc, char *argv[]);
	const char *usage;
	const char *help;	/* NULL: not listed in help */
} commands[] = {
	{ "show", show_main,
	  "[<plane> | all | interfaces] [<field> | dump] [--json [--show-keys]]",
	  "Shows the current configuration and state of planes" },
	{ "showconf", showconf_main, "<plane>",
	  "Shows the current configuration of a plane in config file format" },
	{ "set", set_main, "<plane> [<setting> <value>]... [peer <key> ...]...",
	  "Changes the current configuration of a plane" },
	{ "setconf", setconf_main, "<plane> <file>",
	  "Applies a configuration file to a plane, replacing its peers" },
	{ "addconf", setconf_main, "<plane> <file>",
	  "Appends a configuration file to a plane" },
	{ "syncconf", setconf_main, "<plane> <file>",
	  "Synchronizes a plane with a configuration file, changing only what differs" },
	{ "genkey", genkey_main, "",
	  "Generates a new private key and writes it to stdout" },
	{ "genpsk", genkey_main, "",
	  "Generates a new preshared key and writes it to stdout" },
	{ "pubkey", pubkey_main, "",
	  "Reads a private key from stdin and writes its public key to stdout" },
	{ "fleet", fleet_main, "add|del|show ...",
	  "Creates, deletes and shows fleets" },
	{ "parseconf", parseconf_main, "<file>", NULL },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: " PROG_NAME " <cmd> [<args>]\n\nAvailable subcommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		if (commands[i].help)
			fprintf(f, "  %-9s %s\n", commands[i].name,
				commands[i].help);
	fprintf(f, "You may pass `--help' to any of these subcommands to view usage.\n"
		"`--json' and `--show-keys' may appear anywhere on the command line.\n");
}

int main(int argc, char *argv[])
{
	char *show_all[] = { "show", NULL };
	unsigned int i;
	int j, n = 1;

	/* Global flags may appear anywhere; drop them from argv. */
	for (j = 1; j < argc; j++) {
		if (!strcmp(argv[j], "--json"))
			opt_json = true;
		else if (!strcmp(argv[j], "--show-keys"))
			opt_show_keys = true;
		else
			argv[n++] = argv[j];
	}
	argc = n;
	argv[argc] = NULL;

	if (argc == 1)
		return show_main(1, show_all);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf(PROG_NAME " v%s\n", WGPLANES_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		help(stdout);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") ||
				 !strcmp(argv[2], "-h"))) {
			printf("Usage: " PROG_NAME " %s %s\n", commands[i].name,
			       commands[i].usage);
			if (commands[i].help)
				printf("%s.\n", commands[i].help);
			return 0;
		}
		return commands[i].handler(argc - 1, argv + 1);
	}
	fprintf(stderr, PROG_NAME ": invalid subcommand '%s'\n", argv[1]);
	help(stderr);
	return 1;
}

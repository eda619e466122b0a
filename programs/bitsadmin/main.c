/*
 * bitsadmin: the command line and the switch table
 *
 * Copyright 2026 the qmgr-for-wine authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
 */

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "initguid.h"
#include "bitsadmin.h"

static const struct command *const command_tables[] =
{
    job_commands, property_commands, transfer_commands, token_commands, util_commands,
};

static const struct command *find_command(const WCHAR *arg)
{
    const struct command *command;
    unsigned int i;

    if (arg[0] != '/' && arg[0] != '-') return NULL;
    for (i = 0; i < ARRAY_SIZE(command_tables); i++)
        for (command = command_tables[i]; command->name; command++)
            if (!wcsicmp(arg + 1, command->name)) return command;
    /* The examples of Microsoft's reference spell /setaclflag with an s. */
    if (!wcsicmp(arg + 1, L"setaclflags")) return find_command(L"/setaclflag");
    return NULL;
}

static void print_help(void)
{
    const struct command *command;
    unsigned int i;

    out(L"USAGE: BITSADMIN [/RAWRETURN] [/WRAP | /NOWRAP] command\n");
    out(L"The following commands are available:\n\n");
    out(L"/HELP           Prints this help\n/?              Prints this help\n");
    for (i = 0; i < ARRAY_SIZE(command_tables); i++)
        for (command = command_tables[i]; command->name; command++)
            out(L"%s\n", command->syntax);
    out(L"\nOptions before the command:\n");
    out(L"/RAWRETURN      Print only the value (with /CREATE and the /GET switches), without banner or newline\n");
    out(L"/WRAP           Wrap lines at the console's width (the default on a console, except for /MONITOR)\n");
    out(L"/NOWRAP         Do not wrap lines\n");
    out(L"\nA job is named by its GUID or its display name.\n");
}

int __cdecl wmain(int argc, WCHAR **argv)
{
    const struct command *command;
    int i = 1, result;
    HRESULT hr;

    for (; i < argc; i++)
    {
        if (is_switch(argv[i], L"rawreturn")) raw_return = TRUE;
        else if (is_switch(argv[i], L"wrap")) wrap_mode = 1;
        else if (is_switch(argv[i], L"nowrap")) wrap_mode = 0;
        else break;
    }
    /* A raw value is for a script to read: no line breaks unless asked for. */
    if (raw_return && wrap_mode == -1) wrap_mode = 0;
    out_banner();
    if (i == argc || is_switch(argv[i], L"help") || is_switch(argv[i], L"?"))
    {
        print_help();
        out_flush();
        return EXIT_OK;
    }
    if (!(command = find_command(argv[i])))
    {
        out(L"Unknown command: %s\nType BITSADMIN /? for the list of commands.\n", argv[i]);
        out_flush();
        return EXIT_FAILED;
    }
    /* /monitor does not wrap unless asked to (Microsoft's reference). */
    if (wrap_mode == -1 && !wcscmp(command->name, L"monitor")) wrap_mode = 0;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (command->needs_manager && FAILED(hr = connect_manager()))
        result = report_failure(L"connect to BITS", hr);
    else
        result = command->run(command, argc - i - 1, argv + i + 1);
    out_flush();
    if (manager) IBackgroundCopyManager_Release(manager);
    CoUninitialize();
    return result;
}

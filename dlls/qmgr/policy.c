/*
 * Background Intelligent Transfer Service: the Group Policy limits
 * (behavior.md 15).  Only configured policies appear under the key; the
 * others have Windows' defaults.  Read at each use, so a change applies to
 * the next call without a restart.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"
#include "winreg.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

static const struct
{
    const WCHAR *name;
    DWORD default_value;
} policies[] =
{
    [POLICY_MAX_JOBS_PER_USER]     = { L"MaxJobsPerUser", 60 },
    [POLICY_MAX_JOBS_PER_MACHINE]  = { L"MaxJobsPerMachine", 300 },
    [POLICY_MAX_FILES_PER_JOB]     = { L"MaxFilesPerJob", 200 },
    [POLICY_MAX_RANGES_PER_FILE]   = { L"MaxRangesPerFile", 500 },
    [POLICY_JOB_INACTIVITY_DAYS]   = { L"JobInactivityTimeout", 90 },
    [POLICY_MAX_DOWNLOAD_SECONDS]  = { L"MaxDownloadTime", DEFAULT_MAX_DOWNLOAD_TIME },
};

DWORD policy_get(enum policy policy)
{
    DWORD value, size = sizeof(value);

    if (RegGetValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", policies[policy].name,
                     RRF_RT_REG_DWORD, NULL, &value, &size))
        return policies[policy].default_value;
    TRACE("%s is %lu.\n", debugstr_w(policies[policy].name), value);
    return value;
}

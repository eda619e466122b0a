/*
 * Prints, for every versioned BITS CLSID, the result of creating the manager
 * out of process and of a CreateJob/Cancel through it: one line each,
 * "<version> <hr of CoCreateInstance> <hr of CreateJob>".  Used by
 * check-install.sh to see which BITS a prefix serves.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "initguid.h"
#include "bits10_3.h"

static const struct
{
    const char *version;
    const CLSID *clsid;
} versions[] =
{
    { "1.0", &CLSID_BackgroundCopyManager },
    { "1.5", &CLSID_BackgroundCopyManager1_5 },
    { "2.0", &CLSID_BackgroundCopyManager2_0 },
    { "2.5", &CLSID_BackgroundCopyManager2_5 },
    { "3.0", &CLSID_BackgroundCopyManager3_0 },
    { "4.0", &CLSID_BackgroundCopyManager4_0 },
    { "5.0", &CLSID_BackgroundCopyManager5_0 },
    { "10.1", &CLSID_BackgroundCopyManager10_1 },
    { "10.2", &CLSID_BackgroundCopyManager10_2 },
    { "10.3", &CLSID_BackgroundCopyManager10_3 },
};

int main(void)
{
    IBackgroundCopyManager *manager;
    IBackgroundCopyJob *job;
    unsigned int i;
    HRESULT hr, job_hr;
    GUID id;

    CoInitialize(NULL);
    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
    {
        job_hr = E_FAIL;
        hr = CoCreateInstance(versions[i].clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                              (void **)&manager);
        if (SUCCEEDED(hr))
        {
            job_hr = IBackgroundCopyManager_CreateJob(manager, L"install probe", BG_JOB_TYPE_DOWNLOAD, &id, &job);
            if (SUCCEEDED(job_hr))
            {
                IBackgroundCopyJob_Cancel(job);
                IBackgroundCopyJob_Release(job);
            }
            IBackgroundCopyManager_Release(manager);
        }
        printf("%s 0x%08lx 0x%08lx\n", versions[i].version, hr, job_hr);
    }
    CoUninitialize();
    return 0;
}

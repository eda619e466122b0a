/*
 * bitsadmin /transfer: create a job, run it to the end while showing its progress
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

#include "bitsadmin.h"

/* How often the display follows the progress while nothing else happens. */
#define PROGRESS_INTERVAL_MS 500

/* The job's callback wakes the display at once when the job is transferred or
 * fails, so a short transfer does not wait for the next progress tick. */
static HANDLE job_event;

static HRESULT WINAPI callback_QueryInterface(IBackgroundCopyCallback *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI callback_AddRef(IBackgroundCopyCallback *iface)
{
    return 2;
}

static ULONG WINAPI callback_Release(IBackgroundCopyCallback *iface)
{
    return 1;
}

static HRESULT WINAPI callback_JobTransferred(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job)
{
    SetEvent(job_event);
    return S_OK;
}

static HRESULT WINAPI callback_JobError(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job,
                                        IBackgroundCopyError *error)
{
    SetEvent(job_event);
    return S_OK;
}

static HRESULT WINAPI callback_JobModification(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job,
                                               DWORD reserved)
{
    return S_OK;
}

static IBackgroundCopyCallbackVtbl callback_vtbl =
{
    callback_QueryInterface,
    callback_AddRef,
    callback_Release,
    callback_JobTransferred,
    callback_JobError,
    callback_JobModification,
};

static IBackgroundCopyCallback callback = { &callback_vtbl };

/* The two lines the display shows (and refreshes in place on a console). */
static void print_progress(IBackgroundCopyJob *job, const WCHAR *display, BG_JOB_TYPE type, BG_JOB_PRIORITY priority,
                           BG_JOB_STATE state, const BG_JOB_PROGRESS *progress, BOOL console)
{
    /* On a console each line is padded so that a shorter one hides the last. */
    const WCHAR *pad = console ? L"                " : L"";
    WCHAR done[32], total[32];
    unsigned int percent = 0;

    if (progress->BytesTotal && progress->BytesTotal != BG_SIZE_UNKNOWN)
        percent = (unsigned int)(progress->BytesTransferred * 100 / progress->BytesTotal);
    else if (state == BG_JOB_STATE_TRANSFERRED)
        percent = 100;
    out(L"DISPLAY: '%s' TYPE: %s STATE: %s%s\n", display, type_name(type), state_name(state), pad);
    out(L"PRIORITY: %s FILES: %lu / %lu BYTES: %s / %s (%u%%)%s\n", priority_name(priority), progress->FilesTransferred,
        progress->FilesTotal, size_text(progress->BytesTransferred, done), size_text(progress->BytesTotal, total),
        percent, pad);
}

static int cmd_transfer(const struct command *command, int argc, WCHAR **argv)
{
    BG_JOB_PRIORITY priority = BG_JOB_PRIORITY_NORMAL;
    BG_JOB_TYPE type = BG_JOB_TYPE_DOWNLOAD;
    BG_JOB_PROGRESS progress, shown = {0};
    BG_JOB_STATE state, shown_state = -1;
    BOOL dynamic = FALSE, console, have_acl = FALSE;
    CONSOLE_SCREEN_BUFFER_INFO info;
    COORD top = { 0, 0 };
    IBackgroundCopyJob *job;
    const WCHAR *name;
    DWORD acl_flags = 0, mode;
    int i, result = EXIT_FAILED;
    HRESULT hr;
    GUID id;

    if (argc < 3) return report_usage(command->syntax);
    name = argv[0];
    /* The name is always a new job's name, never a GUID. */
    for (i = 1; i < argc && (argv[i][0] == '/' || argv[i][0] == '-'); i++)
    {
        if (is_switch(argv[i], L"download")) type = BG_JOB_TYPE_DOWNLOAD;
        else if (is_switch(argv[i], L"upload")) type = BG_JOB_TYPE_UPLOAD;
        else if (is_switch(argv[i], L"dynamic")) dynamic = TRUE;
        else if (is_switch(argv[i], L"priority") && i + 1 < argc)
        {
            if (!parse_priority(argv[i + 1], &priority)) return report_usage(command->syntax);
            i++;
        }
        else if (is_switch(argv[i], L"aclflags") && i + 1 < argc)
        {
            if (!parse_acl_flags(argv[i + 1], &acl_flags)) return report_usage(command->syntax);
            have_acl = TRUE;
            i++;
        }
        else return report_usage(command->syntax);
    }
    if (i >= argc || (argc - i) % 2) return report_usage(command->syntax);

    if (FAILED(hr = IBackgroundCopyManager_CreateJob(manager, name, type, &id, &job)))
        return report_failure(L"create job", hr);
    hr = IBackgroundCopyJob_SetPriority(job, priority);
    if (SUCCEEDED(hr) && have_acl)
    {
        IBackgroundCopyJob3 *job3;

        if (SUCCEEDED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3)))
        {
            hr = IBackgroundCopyJob3_SetFileACLFlags(job3, acl_flags);
            IBackgroundCopyJob3_Release(job3);
        }
    }
    if (SUCCEEDED(hr) && dynamic)
    {
        BITS_JOB_PROPERTY_VALUE value;
        IBackgroundCopyJob5 *job5;

        if (SUCCEEDED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5)))
        {
            value.Enable = TRUE;
            hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, value);
            IBackgroundCopyJob5_Release(job5);
        }
    }
    if (FAILED(hr))
    {
        report_failure(L"set job properties", hr);
        goto cancel;
    }
    for (; i < argc; i += 2)
    {
        if (FAILED(hr = IBackgroundCopyJob_AddFile(job, argv[i], argv[i + 1])))
        {
            report_failure(L"add file to job", hr);
            goto cancel;
        }
    }
    job_event = CreateEventW(NULL, FALSE, FALSE, NULL);
    /* Without the callback (a service that cannot call back) the display still polls. */
    IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR);
    IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&callback);
    if (FAILED(hr = IBackgroundCopyJob_Resume(job)))
    {
        report_failure(L"resume job", hr);
        goto cancel;
    }

    console = GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode);
    for (;;)
    {
        if (FAILED(hr = IBackgroundCopyJob_GetState(job, &state))
            || FAILED(hr = IBackgroundCopyJob_GetProgress(job, &progress)))
        {
            report_failure(L"get job progress", hr);
            goto cancel;
        }
        /* On a console the two lines are redrawn in place; into a file or pipe
         * a new pair is written only when something changed. */
        if (console || state != shown_state || progress.BytesTransferred != shown.BytesTransferred
            || progress.FilesTransferred != shown.FilesTransferred || progress.BytesTotal != shown.BytesTotal)
        {
            if (console && shown_state != -1)
            {
                /* Back to the first of the two lines; they were cleared to the window's width. */
                out_flush();
                SetConsoleCursorPosition(GetStdHandle(STD_OUTPUT_HANDLE), top);
            }
            print_progress(job, name, type, priority, state, &progress, console);
            out_flush();
            if (console && GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info))
            {
                top.X = 0;
                top.Y = info.dwCursorPosition.Y >= 2 ? info.dwCursorPosition.Y - 2 : 0;
            }
            shown = progress;
            shown_state = state;
        }
        if (state == BG_JOB_STATE_TRANSFERRED)
        {
            if (FAILED(hr = IBackgroundCopyJob_Complete(job)))
            {
                report_failure(L"complete job", hr);
                goto cancel;
            }
            out(L"Transfer complete.\n");
            result = EXIT_OK;
            break;
        }
        if (state == BG_JOB_STATE_ERROR)
        {
            print_job_error(job);
            out(L"Transfer failed; the job was canceled.\n");
            goto cancel;
        }
        if (state == BG_JOB_STATE_CANCELLED || state == BG_JOB_STATE_ACKNOWLEDGED)
        {
            out(L"The job was %s by someone else.\n", state == BG_JOB_STATE_CANCELLED ? L"canceled" : L"completed");
            break;
        }
        /* A transient error is retried by BITS; the display goes on, as on Windows (Ctrl+C ends it). */
        WaitForSingleObject(job_event, PROGRESS_INTERVAL_MS);
    }
    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    IBackgroundCopyJob_Release(job);
    return result;

cancel:
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    return EXIT_FAILED;
}

const struct command transfer_commands[] =
{
    { L"transfer", cmd_transfer, TRUE,
      L"/TRANSFER name [type] [/PRIORITY job_priority] [/ACLFLAGS flags] [/DYNAMIC] remote_url local_name"
      L" [remote_url local_name ...]   type: /DOWNLOAD or /UPLOAD; job_priority: FOREGROUND, HIGH, NORMAL or LOW" },
    { NULL }
};

/*
 * Conformance tests of job ownership and IBitsTokenOptions: who owns a job,
 * who may reach it, and the Windows 10 1607 rules of helper tokens.
 *
 * The expected SIDs and administrator status come from identity_util.h: the
 * token's own on Windows, the Unix-mapped ones under Wine.  A thread that
 * impersonates a restricted token (Administrators deny-only) must be seen as
 * a non-administrator; the process has Dynamic cloaking so that Windows' COM
 * carries the thread token to BITS too.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>

#define COBJMACROS
#define CONST_VTABLE

#include "windef.h"
#include "winbase.h"
#include "winerror.h"
#include "winternl.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "identity_util.h"

#define TEST_URL L"http://127.0.0.1:1/file.bin"

static IBackgroundCopyManager *manager;
static BOOL process_admin;

static IBackgroundCopyJob *create_job(const WCHAR *name, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    GUID dummy;
    HRESULT hr;

    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id ? id : &dummy, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return job;
}

static void cancel_and_release(IBackgroundCopyJob *job)
{
    if (!job) return;
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
}

static WCHAR *get_owner(IBackgroundCopyJob *job)
{
    WCHAR *owner = NULL;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetOwner(job, &owner);
    ok(hr == S_OK, "GetOwner failed: %#lx.\n", hr);
    return owner;
}

/* An impersonation copy of the process token at the given level. */
static HANDLE make_process_copy(SECURITY_IMPERSONATION_LEVEL level)
{
    HANDLE process, copy = NULL;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &process)) return NULL;
    if (!DuplicateTokenEx(process, TOKEN_ALL_ACCESS, NULL, level, TokenImpersonation, &copy)) copy = NULL;
    CloseHandle(process);
    return copy;
}

static BOOL impersonate(HANDLE token)
{
    BOOL ret = SetThreadToken(NULL, token);
    ok(ret, "SetThreadToken failed: %lu.\n", GetLastError());
    return ret;
}

static BOOL enum_contains(DWORD flags, const GUID *id, HRESULT *result)
{
    IEnumBackgroundCopyJobs *jobs = NULL;
    IBackgroundCopyJob *job;
    BOOL found = FALSE;
    GUID job_id;

    *result = IBackgroundCopyManager_EnumJobs(manager, flags, &jobs);
    if (FAILED(*result)) return FALSE;
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        if (SUCCEEDED(IBackgroundCopyJob_GetId(job, &job_id)) && IsEqualGUID(&job_id, id)) found = TRUE;
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    return found;
}

static void test_owner(void)
{
    WCHAR *owner, *expected;
    IBackgroundCopyJob *job;
    BOOL found;
    HRESULT hr;
    GUID id;

    job = create_job(L"identity owner", &id);
    if (!job) return;
    owner = get_owner(job);
    expected = expected_caller_sid();
    ok(owner && expected && !wcscmp(owner, expected), "got owner %s, expected %s.\n",
       wine_dbgstr_w(owner), wine_dbgstr_w(expected));
    if (under_wine() && identity_mapping_on())
        ok(owner && !wcsncmp(owner, L"S-1-22-1-", 9), "the owner %s is not a Unix user.\n", wine_dbgstr_w(owner));
    CoTaskMemFree(owner);
    free(expected);

    /* The creator sees its job without asking for everyone's. */
    found = enum_contains(0, &id, &hr);
    ok(hr == S_OK, "EnumJobs(0) failed: %#lx.\n", hr);
    ok(found, "EnumJobs(0) does not list the caller's job.\n");
    found = enum_contains(BG_JOB_ENUM_ALL_USERS, &id, &hr);
    if (process_admin)
    {
        ok(hr == S_OK, "EnumJobs(ALL_USERS) failed: %#lx.\n", hr);
        ok(found, "EnumJobs(ALL_USERS) does not list the caller's job.\n");
    }
    else ok(hr == E_ACCESSDENIED, "EnumJobs(ALL_USERS) by a non-administrator returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_TakeOwnership(job);
    ok(hr == (process_admin ? S_OK : E_ACCESSDENIED), "TakeOwnership returned %#lx.\n", hr);
    cancel_and_release(job);
}

/* A thread impersonating a token whose Administrators group is deny-only is no administrator. */
static void test_restricted_caller(void)
{
    IBackgroundCopyJob *job, *own_job, *found_job;
    WCHAR *owner, *expected;
    HANDLE restricted;
    BOOL found;
    HRESULT hr;
    GUID id, own_id;

    restricted = make_restricted_token();
    ok(restricted != NULL, "cannot make a restricted token: %lu.\n", GetLastError());
    if (!restricted) return;
    ok(!expected_admin_of_token(restricted), "the restricted token still counts as an administrator.\n");

    job = create_job(L"identity made unrestricted", &id);
    if (!job) return;
    if (!impersonate(restricted))
    {
        cancel_and_release(job);
        return;
    }

    found = enum_contains(BG_JOB_ENUM_ALL_USERS, &id, &hr);
    ok(hr == E_ACCESSDENIED, "EnumJobs(ALL_USERS) by a restricted caller returned %#lx.\n", hr);
    /* Same user: its own jobs stay its own. */
    found = enum_contains(0, &id, &hr);
    ok(hr == S_OK, "EnumJobs(0) failed: %#lx.\n", hr);
    ok(found, "EnumJobs(0) does not list the user's job for the restricted caller.\n");
    hr = IBackgroundCopyManager_GetJob(manager, &id, &found_job);
    ok(hr == S_OK, "GetJob of the user's own job failed: %#lx.\n", hr);
    if (SUCCEEDED(hr)) IBackgroundCopyJob_Release(found_job);
    hr = IBackgroundCopyJob_SetDisplayName(job, L"renamed by the restricted caller");
    ok(hr == S_OK, "SetDisplayName by the owner's restricted token failed: %#lx.\n", hr);

    hr = IBackgroundCopyJob_TakeOwnership(job);
    ok(hr == E_ACCESSDENIED, "TakeOwnership by a restricted caller returned %#lx.\n", hr);

    own_job = create_job(L"identity made restricted", &own_id);
    if (own_job)
    {
        owner = get_owner(own_job);
        expected = expected_caller_sid();
        ok(owner && expected && !wcscmp(owner, expected), "got owner %s, expected %s.\n",
           wine_dbgstr_w(owner), wine_dbgstr_w(expected));
        CoTaskMemFree(owner);
        free(expected);
    }
    RevertToSelf();

    /* The same user without restriction: an administrator exactly when the process is one. */
    found = enum_contains(BG_JOB_ENUM_ALL_USERS, &id, &hr);
    ok(hr == (process_admin ? S_OK : E_ACCESSDENIED), "EnumJobs(ALL_USERS) returned %#lx.\n", hr);
    cancel_and_release(own_job);
    cancel_and_release(job);
    CloseHandle(restricted);
}

/* A file added to the job, as IBackgroundCopyFile3; NULL if that failed. */
static IBackgroundCopyFile3 *get_first_file(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile3 *file3 = NULL;
    IBackgroundCopyFile *file = NULL;
    WCHAR local[MAX_PATH];
    HRESULT hr;

    GetTempPathW(ARRAY_SIZE(local), local);
    swprintf(local + wcslen(local), ARRAY_SIZE(local) - wcslen(local), L"qmgr_identity_%lu.bin", GetCurrentProcessId());
    hr = IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/identity.bin", local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    if (FAILED(hr) || FAILED(IBackgroundCopyJob_EnumFiles(job, &files))) return NULL;
    hr = IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    IEnumBackgroundCopyFiles_Release(files);
    if (hr != S_OK) return NULL;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile3) failed: %#lx.\n", hr);
    IBackgroundCopyFile_Release(file);
    return file3;
}

/* Under Wine the mapping can be switched off: the same token then shows its
 * placeholder SID, a different user from the mapped owner of earlier jobs,
 * which shows owner isolation with the only user SID Wine 8 can make. */
static void test_mapping_switch(void)
{
    IBackgroundCopyJob *mapped_job, *token_job, *found_job;
    IBackgroundCopyFile3 *file;
    IBackgroundCopyJobHttpOptions *http_options;
    IBackgroundCopyJob2 *job2;
    WCHAR *owner, *expected, *headers, *name;
    BG_FILE_PROGRESS progress;
    HANDLE restricted;
    GUID mapped_id, token_id;
    BOOL valid;
    BOOL found;
    HRESULT hr;

    if (!under_wine())
    {
        skip("the identity mapping exists only under Wine.\n");
        return;
    }
    if (!identity_mapping_on())
    {
        skip("IdentityMapping is switched off in this prefix.\n");
        return;
    }

    mapped_job = create_job(L"identity mapped", &mapped_id);
    if (!mapped_job) return;
    file = get_first_file(mapped_job);
    owner = get_owner(mapped_job);
    ok(owner && !wcsncmp(owner, L"S-1-22-1-", 9), "got owner %s.\n", wine_dbgstr_w(owner));
    CoTaskMemFree(owner);
    /* Headers its owner sets, which may carry secrets. */
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(mapped_job, &IID_IBackgroundCopyJobHttpOptions,
                                                    (void **)&http_options)))
    {
        hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Secret: 1\r\n");
        ok(hr == S_OK, "the owner's SetCustomHeaders failed: %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions_Release(http_options);
    }

    set_mapping_mode(L"token");
    token_job = create_job(L"identity unmapped", &token_id);
    if (token_job)
    {
        owner = get_owner(token_job);
        ok(owner && !wcscmp(owner, L"S-1-5-21-0-0-0-1000"), "without mapping got owner %s.\n", wine_dbgstr_w(owner));
        CoTaskMemFree(owner);
        expected = expected_caller_sid();
        ok(expected && !wcscmp(expected, L"S-1-5-21-0-0-0-1000"), "the helper expects %s.\n", wine_dbgstr_w(expected));
        free(expected);
    }

    /* Now the mapped owner is somebody else: a non-administrator cannot see or touch its job. */
    restricted = make_restricted_token();
    if (restricted && impersonate(restricted))
    {
        found = enum_contains(0, &mapped_id, &hr);
        ok(hr == S_OK, "EnumJobs(0) failed: %#lx.\n", hr);
        ok(!found, "EnumJobs(0) lists another user's job.\n");
        found = enum_contains(0, &token_id, &hr);
        ok(found, "EnumJobs(0) does not list the caller's own job.\n");
        found_job = NULL;
        hr = IBackgroundCopyManager_GetJob(manager, &mapped_id, &found_job);
        ok(hr == E_ACCESSDENIED, "GetJob of another user's job returned %#lx.\n", hr);
        if (found_job) IBackgroundCopyJob_Release(found_job);
        hr = IBackgroundCopyJob_SetDisplayName(mapped_job, L"not mine");
        ok(hr == E_ACCESSDENIED, "SetDisplayName on another user's job returned %#lx.\n", hr);
        hr = IBackgroundCopyJob_Resume(mapped_job);
        ok(hr == E_ACCESSDENIED, "Resume of another user's job returned %#lx.\n", hr);
        hr = IBackgroundCopyJob_Cancel(mapped_job);
        ok(hr == E_ACCESSDENIED, "Cancel of another user's job returned %#lx.\n", hr);
        owner = NULL;
        hr = IBackgroundCopyJob_GetOwner(mapped_job, &owner);
        ok(hr == E_ACCESSDENIED, "GetOwner of another user's job returned %#lx.\n", hr);
        CoTaskMemFree(owner);
        /* Its files too, through a pointer taken before. */
        if (file)
        {
            hr = IBackgroundCopyFile3_SetRemoteName(file, L"http://127.0.0.1:1/other.bin");
            ok(hr == E_ACCESSDENIED, "SetRemoteName on another user's file returned %#lx.\n", hr);
            hr = IBackgroundCopyFile3_SetValidationState(file, TRUE);
            ok(hr == E_ACCESSDENIED, "SetValidationState on another user's file returned %#lx.\n", hr);
            /* Nor may it read them: a remote name may carry a secret in its query. */
            name = NULL;
            hr = IBackgroundCopyFile3_GetRemoteName(file, &name);
            ok(hr == E_ACCESSDENIED, "GetRemoteName of another user's file returned %#lx.\n", hr);
            if (SUCCEEDED(hr)) CoTaskMemFree(name);
            name = NULL;
            hr = IBackgroundCopyFile3_GetLocalName(file, &name);
            ok(hr == E_ACCESSDENIED, "GetLocalName of another user's file returned %#lx.\n", hr);
            if (SUCCEEDED(hr)) CoTaskMemFree(name);
            name = NULL;
            hr = IBackgroundCopyFile3_GetTemporaryName(file, &name);
            ok(hr == E_ACCESSDENIED, "GetTemporaryName of another user's file returned %#lx.\n", hr);
            if (SUCCEEDED(hr)) CoTaskMemFree(name);
            hr = IBackgroundCopyFile3_GetProgress(file, &progress);
            ok(hr == E_ACCESSDENIED, "GetProgress of another user's file returned %#lx.\n", hr);
            hr = IBackgroundCopyFile3_GetValidationState(file, &valid);
            ok(hr == E_ACCESSDENIED, "GetValidationState of another user's file returned %#lx.\n", hr);
        }
        RevertToSelf();
    }
    if (restricted) CloseHandle(restricted);

    /* An administrator (the token counts alone without the mapping) reaches every job... */
    hr = IBackgroundCopyJob_SetDisplayName(mapped_job, L"an administrator's change");
    ok(hr == S_OK, "an administrator's SetDisplayName failed: %#lx.\n", hr);
    if (file)
    {
        name = NULL;
        hr = IBackgroundCopyFile3_GetRemoteName(file, &name);
        ok(hr == S_OK && name && !wcscmp(name, L"http://127.0.0.1:1/identity.bin"),
           "an administrator's GetRemoteName: %#lx, %s.\n", hr, wine_dbgstr_w(name));
        CoTaskMemFree(name);
    }
    /* ...but credentials and custom headers are the owner's alone. */
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(mapped_job, &IID_IBackgroundCopyJob2, (void **)&job2)))
    {
        BG_AUTH_CREDENTIALS credentials = { BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC };
        credentials.Credentials.Basic.UserName = (WCHAR *)L"user";
        credentials.Credentials.Basic.Password = (WCHAR *)L"secret";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &credentials);
        ok(hr == E_ACCESSDENIED, "an administrator set another user's credentials: %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC);
        ok(hr == E_ACCESSDENIED, "an administrator removed another user's credentials: %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
    }
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(mapped_job, &IID_IBackgroundCopyJobHttpOptions,
                                                    (void **)&http_options)))
    {
        hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Test: 1\r\n");
        ok(hr == E_ACCESSDENIED, "an administrator set another user's custom headers: %#lx.\n", hr);
        headers = (WCHAR *)0xdeadbeef;
        hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &headers);
        ok(hr == E_ACCESSDENIED, "an administrator read another user's custom headers: %#lx.\n", hr);
        if (SUCCEEDED(hr)) CoTaskMemFree(headers);
        hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(http_options, 0);
        ok(hr == S_OK, "an administrator's SetSecurityFlags failed: %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions_Release(http_options);
    }
    if (token_job && SUCCEEDED(IBackgroundCopyJob_QueryInterface(token_job, &IID_IBackgroundCopyJobHttpOptions,
                                                                 (void **)&http_options)))
    {
        hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Test: 1\r\n");
        ok(hr == S_OK, "the owner's SetCustomHeaders failed: %#lx.\n", hr);
        headers = NULL;
        hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &headers);
        ok(hr == S_OK && headers && !wcscmp(headers, L"X-Test: 1\r\n"), "the owner's GetCustomHeaders: %#lx, %s.\n",
           hr, wine_dbgstr_w(headers));
        CoTaskMemFree(headers);
        IBackgroundCopyJobHttpOptions_Release(http_options);
    }
    found = enum_contains(BG_JOB_ENUM_ALL_USERS, &mapped_id, &hr);
    ok(hr == S_OK && found, "EnumJobs(ALL_USERS) by an administrator: %#lx, found %d.\n", hr, found);

    /* The unmapped job is the caller's only while the mapping is off: a
     * non-administrator could not cancel it afterwards, and it would stay. */
    cancel_and_release(token_job);
    set_mapping_mode(NULL);
    if (file) IBackgroundCopyFile3_Release(file);
    cancel_and_release(mapped_job);
}

/* A job created with an elevated token answers only elevated tokens, even of
 * its own owner (token-options.md 6.3): the same user's limited token (the
 * linked token of UAC) is refused. */
static void test_elevated_job(void)
{
    TOKEN_LINKED_TOKEN linked = { 0 };
    IBitsTokenOptions *token_options;
    DWORD flags;
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob *job;
    HANDLE process, limited = NULL;
    BOOL elevated = FALSE;
    WCHAR *owner = NULL;
    DWORD size;
    HRESULT hr;
    GUID id;

    if (!(job = create_job(L"identity elevated", &id))) return;
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4)))
    {
        IBackgroundCopyJob4_GetOwnerElevationState(job4, &elevated);
        IBackgroundCopyJob4_Release(job4);
    }
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &process))
    {
        if (GetTokenInformation(process, TokenLinkedToken, &linked, sizeof(linked), &size) && linked.LinkedToken)
        {
            DuplicateTokenEx(linked.LinkedToken, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenImpersonation,
                             &limited);
            CloseHandle(linked.LinkedToken);
        }
        CloseHandle(process);
    }
    if (!elevated || !limited || expected_admin_of_token(limited))
    {
        skip("no elevated job with a limited token to try it (elevated %d, limited %p).\n", elevated, limited);
        if (limited) CloseHandle(limited);
        cancel_and_release(job);
        return;
    }
    if (impersonate(limited))
    {
        hr = IBackgroundCopyJob_SetDisplayName(job, L"changed without elevation");
        ok(hr == E_ACCESSDENIED, "SetDisplayName with the limited token returned %#lx.\n", hr);
        hr = IBackgroundCopyJob_GetOwner(job, &owner);
        ok(hr == E_ACCESSDENIED, "GetOwner with the limited token returned %#lx.\n", hr);
        if (SUCCEEDED(hr)) CoTaskMemFree(owner);
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == E_ACCESSDENIED, "Cancel with the limited token returned %#lx.\n", hr);
        if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&token_options)))
        {
            hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
            ok(hr == E_ACCESSDENIED, "GetHelperTokenFlags with the limited token returned %#lx.\n", hr);
            hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, 0);
            ok(hr == E_ACCESSDENIED, "SetHelperTokenFlags with the limited token returned %#lx.\n", hr);
            IBitsTokenOptions_Release(token_options);
        }
        RevertToSelf();
    }
    CloseHandle(limited);
    /* Elevated again: the job is the owner's as before. */
    hr = IBackgroundCopyJob_SetDisplayName(job, L"changed with elevation");
    ok(hr == S_OK, "SetDisplayName with the elevated token returned %#lx.\n", hr);
    cancel_and_release(job);
}

/* Under Wine the Unix groups that make administrators can be configured. */
static void test_admin_groups(void)
{
    struct unix_ids ids;
    WCHAR groups[300];
    char name[256];
    HRESULT hr;
    HKEY key;
    GUID none = { 0 };

    if (!under_wine() || !identity_mapping_on())
    {
        skip("the Unix administrator groups apply only under Wine's identity mapping.\n");
        return;
    }
    if (!get_unix_ids(&ids) || !ids.gid_count || !get_unix_group_name(ids.gids[0], name, sizeof(name)))
    {
        skip("cannot name the user's Unix group.\n");
        return;
    }
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Wine\\BITS", 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL))
    {
        ok(0, "cannot open the BITS key.\n");
        return;
    }
    /* The user's own group as the only administrator group. */
    memset(groups, 0, sizeof(groups));
    MultiByteToWideChar(CP_UTF8, 0, name, -1, groups, ARRAY_SIZE(groups) - 1);
    RegSetValueExW(key, L"AdminGroups", 0, REG_MULTI_SZ, (const BYTE *)groups, (wcslen(groups) + 2) * sizeof(WCHAR));
    enum_contains(BG_JOB_ENUM_ALL_USERS, &none, &hr);
    ok(hr == S_OK, "a member of the configured group %s is no administrator: %#lx.\n", name, hr);

    /* A group nobody is in: only root stays an administrator. */
    RegSetValueExW(key, L"AdminGroups", 0, REG_MULTI_SZ, (const BYTE *)L"qmgr-no-such-group\0", 20 * sizeof(WCHAR));
    enum_contains(BG_JOB_ENUM_ALL_USERS, &none, &hr);
    ok(hr == (ids.uid ? E_ACCESSDENIED : S_OK), "with no administrator group, uid %u got %#lx.\n", ids.uid, hr);

    RegDeleteValueW(key, L"AdminGroups");
    RegCloseKey(key);
    enum_contains(BG_JOB_ENUM_ALL_USERS, &none, &hr);
    ok(hr == (process_admin ? S_OK : E_ACCESSDENIED), "with the default groups got %#lx.\n", hr);
}

static IBitsTokenOptions *get_token_options(IBackgroundCopyJob *job)
{
    IBitsTokenOptions *options = NULL;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBitsTokenOptions) failed: %#lx.\n", hr);
    return options;
}

static void check_helper_sid(IBitsTokenOptions *options, const WCHAR *expected, int line)
{
    WCHAR *sid = (WCHAR *)0xdeadbeef;
    HRESULT hr;

    hr = IBitsTokenOptions_GetHelperTokenSid(options, &sid);
    ok_(__FILE__, line)(hr == S_OK, "GetHelperTokenSid failed: %#lx.\n", hr);
    if (!expected) ok_(__FILE__, line)(sid == NULL, "got helper SID %s, expected none.\n", wine_dbgstr_w(sid));
    else ok_(__FILE__, line)(sid && !wcscmp(sid, expected), "got helper SID %s, expected %s.\n",
                             wine_dbgstr_w(sid), wine_dbgstr_w(expected));
    if (sid != (WCHAR *)0xdeadbeef) CoTaskMemFree(sid);
}

static void check_flags(IBitsTokenOptions *options, DWORD expected, int line)
{
    DWORD flags = 0xdeadbeef;
    HRESULT hr;

    hr = IBitsTokenOptions_GetHelperTokenFlags(options, &flags);
    ok_(__FILE__, line)(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
    ok_(__FILE__, line)(flags == expected, "got flags %#lx, expected %#lx.\n", flags, expected);
}

static void test_helper_token(void)
{
    IBitsTokenOptions *options;
    IBackgroundCopyJob *job;
    WCHAR *expected;
    HANDLE token;
    HRESULT hr;

    job = create_job(L"identity helper token", NULL);
    if (!job) return;
    if (!(options = get_token_options(job)))
    {
        cancel_and_release(job);
        return;
    }

    check_helper_sid(options, NULL, __LINE__);
    check_flags(options, 0, __LINE__);
    hr = IBitsTokenOptions_SetHelperTokenFlags(options, 4);
    ok(hr == E_INVALIDARG, "SetHelperTokenFlags(4) returned %#lx.\n", hr);

    /* Not impersonating: the helper is the caller itself. */
    hr = IBitsTokenOptions_SetHelperToken(options);
    ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);
    expected = expected_caller_sid();
    check_helper_sid(options, expected, __LINE__);
    free(expected);

    /* Flags survive ClearHelperToken; the SID goes. */
    hr = IBitsTokenOptions_SetHelperTokenFlags(options, BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK);
    ok(hr == S_OK, "SetHelperTokenFlags failed: %#lx.\n", hr);
    hr = IBitsTokenOptions_ClearHelperToken(options);
    ok(hr == S_OK, "ClearHelperToken failed: %#lx.\n", hr);
    check_flags(options, BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK, __LINE__);
    check_helper_sid(options, NULL, __LINE__);
    hr = IBitsTokenOptions_ClearHelperToken(options);
    ok(hr == S_OK, "a second ClearHelperToken failed: %#lx.\n", hr);

    /* An impersonation token that only identifies cannot be impersonated by BITS. */
    if ((token = make_process_copy(SecurityIdentification)) && impersonate(token))
    {
        hr = IBitsTokenOptions_SetHelperToken(options);
        ok(hr == CO_E_FAILEDTOIMPERSONATE, "SetHelperToken with an identification token returned %#lx.\n", hr);
        RevertToSelf();
        check_helper_sid(options, NULL, __LINE__);
    }
    if (token) CloseHandle(token);

    /* An impersonation-level copy of the caller's own token is a valid helper. */
    if ((token = make_process_copy(SecurityImpersonation)) && impersonate(token))
    {
        hr = IBitsTokenOptions_SetHelperToken(options);
        ok(hr == S_OK, "SetHelperToken while impersonating failed: %#lx.\n", hr);
        expected = expected_caller_sid();
        RevertToSelf();
        check_helper_sid(options, expected, __LINE__);
        free(expected);
    }
    if (token) CloseHandle(token);

    hr = IBitsTokenOptions_SetHelperTokenFlags(options, 0);
    ok(hr == S_OK, "SetHelperTokenFlags(0) failed: %#lx.\n", hr);
    check_flags(options, 0, __LINE__);

    /* A cancelled job takes no new helper token. */
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    hr = IBitsTokenOptions_SetHelperToken(options);
    ok(hr == BG_E_INVALID_STATE, "SetHelperToken on a cancelled job returned %#lx.\n", hr);
    hr = IBitsTokenOptions_SetHelperTokenFlags(options, BG_TOKEN_LOCAL_FILE);
    ok(hr == BG_E_INVALID_STATE, "SetHelperTokenFlags on a cancelled job returned %#lx.\n", hr);

    IBitsTokenOptions_Release(options);
    IBackgroundCopyJob_Release(job);
}

/* 1607: a non-administrator owner may not change the flags of an administrator's helper token. */
static void test_helper_token_admin_rules(void)
{
    IBitsTokenOptions *options;
    IBackgroundCopyJob *job;
    HANDLE restricted;
    WCHAR *expected;
    HRESULT hr;

    if (!process_admin)
    {
        skip("an administrator's helper token needs an administrator.\n");
        return;
    }
    if (!(restricted = make_restricted_token()))
    {
        ok(0, "cannot make a restricted token: %lu.\n", GetLastError());
        return;
    }
    job = create_job(L"identity admin helper", NULL);
    if (!job || !(options = get_token_options(job)))
    {
        cancel_and_release(job);
        CloseHandle(restricted);
        return;
    }

    /* The administrator sets its own (administrator) token as the helper. */
    hr = IBitsTokenOptions_SetHelperToken(options);
    ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);

    if (impersonate(restricted))
    {
        hr = IBitsTokenOptions_SetHelperTokenFlags(options, BG_TOKEN_LOCAL_FILE);
        ok(hr == E_ACCESSDENIED, "a non-administrator changed the flags of an administrator's helper: %#lx.\n", hr);
        /* Reading and clearing have no such rule. */
        check_flags(options, 0, __LINE__);
        hr = IBitsTokenOptions_ClearHelperToken(options);
        ok(hr == S_OK, "ClearHelperToken by the restricted owner failed: %#lx.\n", hr);
        hr = IBitsTokenOptions_SetHelperTokenFlags(options, BG_TOKEN_LOCAL_FILE);
        ok(hr == S_OK, "SetHelperTokenFlags without an administrator's helper failed: %#lx.\n", hr);

        /* The restricted token itself is a helper a non-administrator may set and use. */
        hr = IBitsTokenOptions_SetHelperToken(options);
        ok(hr == S_OK, "SetHelperToken with the restricted token failed: %#lx.\n", hr);
        expected = expected_caller_sid();
        check_helper_sid(options, expected, __LINE__);
        free(expected);
        hr = IBitsTokenOptions_SetHelperTokenFlags(options, BG_TOKEN_NETWORK);
        ok(hr == S_OK, "SetHelperTokenFlags with a restricted helper failed: %#lx.\n", hr);
        RevertToSelf();
    }
    check_flags(options, BG_TOKEN_NETWORK, __LINE__);

    IBitsTokenOptions_Release(options);
    cancel_and_release(job);
    CloseHandle(restricted);
}

typedef NTSTATUS (WINAPI *create_token_func)(HANDLE *, ACCESS_MASK, OBJECT_ATTRIBUTES *, TOKEN_TYPE, LUID *,
                                             LARGE_INTEGER *, TOKEN_USER *, TOKEN_GROUPS *, TOKEN_PRIVILEGES *,
                                             TOKEN_OWNER *, TOKEN_PRIMARY_GROUP *, TOKEN_DEFAULT_DACL *,
                                             TOKEN_SOURCE *);

/* Another user entirely, where the system can make its token. */
static void test_second_user(void)
{
    SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    SECURITY_QUALITY_OF_SERVICE qos = { sizeof(qos), SecurityImpersonation, SECURITY_STATIC_TRACKING, FALSE };
    TOKEN_SOURCE source = { "qmgrtst", { 0, 0 } };
    LUID session = { 0x3e7, 0 };  /* SYSTEM_LUID */
    LARGE_INTEGER expiry = { .QuadPart = -1 };
    TOKEN_PRIVILEGES privileges = { 0 };
    IBackgroundCopyJob *mine, *theirs, *found_job;
    create_token_func create_token;
    TOKEN_PRIMARY_GROUP primary;
    OBJECT_ATTRIBUTES attr;
    TOKEN_GROUPS groups;
    TOKEN_OWNER owner_info;
    TOKEN_USER user;
    PSID other, admins;
    HANDLE token = NULL;
    GUID my_id, their_id;
    WCHAR *owner;
    NTSTATUS status;
    BOOL found;
    HRESULT hr;

    create_token = (void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtCreateToken");
    if (!create_token)
    {
        /* Wine 8.0 has no NtCreateToken; test_mapping_switch covers isolation there. */
        skip("NtCreateToken is not available.\n");
        return;
    }
    ConvertStringSidToSidW(L"S-1-5-21-1111-2222-3333-1001", &other);
    AllocateAndInitializeSid(&nt_authority, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                             0, 0, 0, 0, 0, 0, &admins);
    user.User.Sid = other;
    user.User.Attributes = 0;
    groups.GroupCount = 1;
    groups.Groups[0].Sid = admins;
    groups.Groups[0].Attributes = SE_GROUP_USE_FOR_DENY_ONLY;
    owner_info.Owner = other;
    primary.PrimaryGroup = other;
    InitializeObjectAttributes(&attr, NULL, 0, NULL, NULL);
    attr.SecurityQualityOfService = &qos;
    status = create_token(&token, TOKEN_ALL_ACCESS, &attr, TokenImpersonation, &session, &expiry, &user, &groups,
                          &privileges, &owner_info, &primary, NULL, &source);
    FreeSid(admins);
    if (status)
    {
        /* Windows wants SeCreateTokenPrivilege, which test accounts do not hold. */
        skip("NtCreateToken failed: %#lx.\n", status);
        LocalFree(other);
        return;
    }

    mine = create_job(L"identity first user", &my_id);
    theirs = NULL;
    if (mine && impersonate(token))
    {
        theirs = create_job(L"identity second user", &their_id);
        if (theirs)
        {
            owner = get_owner(theirs);
            ok(owner && !wcscmp(owner, L"S-1-5-21-1111-2222-3333-1001"), "got owner %s.\n", wine_dbgstr_w(owner));
            CoTaskMemFree(owner);
        }
        found = enum_contains(0, &my_id, &hr);
        ok(hr == S_OK && !found, "the second user lists the first user's job: %#lx, %d.\n", hr, found);
        found_job = NULL;
        hr = IBackgroundCopyManager_GetJob(manager, &my_id, &found_job);
        ok(hr == E_ACCESSDENIED, "GetJob of the first user's job returned %#lx.\n", hr);
        if (found_job) IBackgroundCopyJob_Release(found_job);
        hr = IBackgroundCopyJob_Suspend(mine);
        ok(hr == E_ACCESSDENIED, "Suspend of the first user's job returned %#lx.\n", hr);
        RevertToSelf();
    }
    if (theirs)
    {
        found = enum_contains(0, &their_id, &hr);
        ok(hr == S_OK && !found, "EnumJobs(0) lists the second user's job: %#lx, %d.\n", hr, found);
        found = enum_contains(BG_JOB_ENUM_ALL_USERS, &their_id, &hr);
        if (process_admin) ok(hr == S_OK && found, "EnumJobs(ALL_USERS): %#lx, %d.\n", hr, found);
    }
    cancel_and_release(theirs);
    cancel_and_release(mine);
    CloseHandle(token);
    LocalFree(other);
}

START_TEST(identity)
{
    WCHAR *caller;
    HRESULT hr;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    /* Windows' COM carries a thread's impersonation token only with dynamic cloaking. */
    hr = CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL,
                              EOAC_DYNAMIC_CLOAKING, NULL);
    ok(hr == S_OK, "CoInitializeSecurity failed: %#lx.\n", hr);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                          (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("BITS is not available: %#lx.\n", hr);
        CoUninitialize();
        return;
    }
    process_admin = expected_caller_admin();
    caller = expected_caller_sid();
    trace("caller %s, administrator %d.\n", wine_dbgstr_w(caller), process_admin);
    free(caller);

    test_owner();
    test_restricted_caller();
    test_elevated_job();
    test_mapping_switch();
    test_admin_groups();
    test_helper_token();
    test_helper_token_admin_rules();
    test_second_user();

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}

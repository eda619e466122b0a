/*
 * The BITS ABI as mingw-w64's own headers declare it, exported as plain
 * data for abi.c to compare with our headers.
 *
 * Compile with x86_64-w64-mingw32-gcc and mingw-w64's include directory
 * only: neither Wine's headers nor ours may be on the include path.
 * mingw-w64 declares BITS 1.0 through 3.0 (partly) and IBackgroundCopyJob5;
 * everything it declares is listed here.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef __WINE__
#error "abi_mingw.c must be built against mingw-w64's headers, not Wine's"
#endif

#include <stddef.h>
#include <windows.h>
#include <ole2.h>
#include <unknwn.h>
#include <rpc.h>
#include <rpcndr.h>

#include "abi_tables.h"

/*
 * Capture the GUIDs as private table entries: declaring or defining the
 * usual IID_x symbols here would clash with the definitions abi.c links in.
 */
#undef DEFINE_GUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    static const struct abi_guid mingw_##name __attribute__((unused)) = \
        { #name, l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }

#include <bits.h>
#include <bits1_5.h>
#include <bits2_0.h>
#include <bits2_5.h>
#include <bits3_0.h>
#include <bits5_0.h>
#include <bitsmsg.h>

#if !defined(__bits_h__) || !defined(_BGCPYMSG_)
#error "mingw-w64's bits.h / bitsmsg.h were not picked up"
#endif

/* Methods, slot order as declared by mingw-w64, each list extending its parent's. */
#define M_IUnknown(X, I) X(I, QueryInterface) X(I, AddRef) X(I, Release)

#define M_IBackgroundCopyFile(X, I) M_IUnknown(X, I) \
    X(I, GetRemoteName) X(I, GetLocalName) X(I, GetProgress)
#define M_IBackgroundCopyFile2(X, I) M_IBackgroundCopyFile(X, I) \
    X(I, GetFileRanges) X(I, SetRemoteName)

#define M_IEnum(X, I) M_IUnknown(X, I) \
    X(I, Next) X(I, Skip) X(I, Reset) X(I, Clone) X(I, GetCount)

#define M_IBackgroundCopyError(X, I) M_IUnknown(X, I) \
    X(I, GetError) X(I, GetFile) X(I, GetErrorDescription) \
    X(I, GetErrorContextDescription) X(I, GetProtocol)

#define M_IBackgroundCopyJob(X, I) M_IUnknown(X, I) \
    X(I, AddFileSet) X(I, AddFile) X(I, EnumFiles) X(I, Suspend) X(I, Resume) \
    X(I, Cancel) X(I, Complete) X(I, GetId) X(I, GetType) X(I, GetProgress) \
    X(I, GetTimes) X(I, GetState) X(I, GetError) X(I, GetOwner) \
    X(I, SetDisplayName) X(I, GetDisplayName) X(I, SetDescription) \
    X(I, GetDescription) X(I, SetPriority) X(I, GetPriority) \
    X(I, SetNotifyFlags) X(I, GetNotifyFlags) X(I, SetNotifyInterface) \
    X(I, GetNotifyInterface) X(I, SetMinimumRetryDelay) \
    X(I, GetMinimumRetryDelay) X(I, SetNoProgressTimeout) \
    X(I, GetNoProgressTimeout) X(I, GetErrorCount) X(I, SetProxySettings) \
    X(I, GetProxySettings) X(I, TakeOwnership)
#define M_IBackgroundCopyJob2(X, I) M_IBackgroundCopyJob(X, I) \
    X(I, SetNotifyCmdLine) X(I, GetNotifyCmdLine) X(I, GetReplyProgress) \
    X(I, GetReplyData) X(I, SetReplyFileName) X(I, GetReplyFileName) \
    X(I, SetCredentials) X(I, RemoveCredentials)
#define M_IBackgroundCopyJob3(X, I) M_IBackgroundCopyJob2(X, I) \
    X(I, ReplaceRemotePrefix) X(I, AddFileWithRanges) X(I, SetFileACLFlags) \
    X(I, GetFileACLFlags)
#define M_IBackgroundCopyJob4(X, I) M_IBackgroundCopyJob3(X, I) \
    X(I, SetPeerCachingFlags) X(I, GetPeerCachingFlags) \
    X(I, GetOwnerIntegrityLevel) X(I, GetOwnerElevationState) \
    X(I, SetMaximumDownloadTime) X(I, GetMaximumDownloadTime)
#define M_IBackgroundCopyJob5(X, I) M_IBackgroundCopyJob4(X, I) \
    X(I, SetProperty) X(I, GetProperty)

#define M_IBackgroundCopyCallback(X, I) M_IUnknown(X, I) \
    X(I, JobTransferred) X(I, JobError) X(I, JobModification)
#define M_IBackgroundCopyCallback2(X, I) M_IBackgroundCopyCallback(X, I) \
    X(I, FileTransferred)

#define M_IBackgroundCopyManager(X, I) M_IUnknown(X, I) \
    X(I, CreateJob) X(I, GetJob) X(I, EnumJobs) X(I, GetErrorDescription)

#define M_IBackgroundCopyJobHttpOptions(X, I) M_IUnknown(X, I) \
    X(I, SetClientCertificateByID) X(I, SetClientCertificateByName) \
    X(I, RemoveClientCertificate) X(I, GetClientCertificate) \
    X(I, SetCustomHeaders) X(I, GetCustomHeaders) X(I, SetSecurityFlags) \
    X(I, GetSecurityFlags)

#define SLOT(I, M) { #I, #M, (unsigned int)(offsetof(I##Vtbl, M) / sizeof(void *)) },

const struct abi_slot mingw_slots[] =
{
    M_IBackgroundCopyFile(SLOT, IBackgroundCopyFile)
    M_IBackgroundCopyFile2(SLOT, IBackgroundCopyFile2)
    M_IEnum(SLOT, IEnumBackgroundCopyFiles)
    M_IEnum(SLOT, IEnumBackgroundCopyJobs)
    M_IBackgroundCopyError(SLOT, IBackgroundCopyError)
    M_IBackgroundCopyJob(SLOT, IBackgroundCopyJob)
    M_IBackgroundCopyJob2(SLOT, IBackgroundCopyJob2)
    M_IBackgroundCopyJob3(SLOT, IBackgroundCopyJob3)
    M_IBackgroundCopyJob4(SLOT, IBackgroundCopyJob4)
    M_IBackgroundCopyJob5(SLOT, IBackgroundCopyJob5)
    M_IBackgroundCopyCallback(SLOT, IBackgroundCopyCallback)
    M_IBackgroundCopyCallback2(SLOT, IBackgroundCopyCallback2)
    M_IBackgroundCopyManager(SLOT, IBackgroundCopyManager)
    M_IBackgroundCopyJobHttpOptions(SLOT, IBackgroundCopyJobHttpOptions)
};
const unsigned int mingw_slot_count = sizeof(mingw_slots) / sizeof(mingw_slots[0]);

#define VTBL(I) { #I, (unsigned int)(sizeof(I##Vtbl) / sizeof(void *)) },

const struct abi_vtbl_size mingw_vtbl_sizes[] =
{
    VTBL(IBackgroundCopyFile)
    VTBL(IBackgroundCopyFile2)
    VTBL(IEnumBackgroundCopyFiles)
    VTBL(IEnumBackgroundCopyJobs)
    VTBL(IBackgroundCopyError)
    VTBL(IBackgroundCopyJob)
    VTBL(IBackgroundCopyJob2)
    VTBL(IBackgroundCopyJob3)
    VTBL(IBackgroundCopyJob4)
    VTBL(IBackgroundCopyJob5)
    VTBL(IBackgroundCopyCallback)
    VTBL(IBackgroundCopyCallback2)
    VTBL(IBackgroundCopyManager)
    VTBL(IBackgroundCopyJobHttpOptions)
};
const unsigned int mingw_vtbl_size_count = sizeof(mingw_vtbl_sizes) / sizeof(mingw_vtbl_sizes[0]);

#define SIZE(T)      { #T, NULL, (unsigned int)sizeof(T), 0 },
#define OFFSET(T, M) { #T, #M, (unsigned int)offsetof(T, M), (unsigned int)sizeof(((T *)0)->M) },

const struct abi_layout mingw_layouts[] =
{
    SIZE(BG_FILE_INFO)
    OFFSET(BG_FILE_INFO, RemoteName)
    OFFSET(BG_FILE_INFO, LocalName)
    SIZE(BG_FILE_PROGRESS)
    OFFSET(BG_FILE_PROGRESS, BytesTotal)
    OFFSET(BG_FILE_PROGRESS, BytesTransferred)
    OFFSET(BG_FILE_PROGRESS, Completed)
    SIZE(BG_JOB_PROGRESS)
    OFFSET(BG_JOB_PROGRESS, BytesTotal)
    OFFSET(BG_JOB_PROGRESS, BytesTransferred)
    OFFSET(BG_JOB_PROGRESS, FilesTotal)
    OFFSET(BG_JOB_PROGRESS, FilesTransferred)
    SIZE(BG_JOB_TIMES)
    OFFSET(BG_JOB_TIMES, CreationTime)
    OFFSET(BG_JOB_TIMES, ModificationTime)
    OFFSET(BG_JOB_TIMES, TransferCompletionTime)
    SIZE(BG_JOB_REPLY_PROGRESS)
    OFFSET(BG_JOB_REPLY_PROGRESS, BytesTotal)
    OFFSET(BG_JOB_REPLY_PROGRESS, BytesTransferred)
    SIZE(BG_FILE_RANGE)
    OFFSET(BG_FILE_RANGE, InitialOffset)
    OFFSET(BG_FILE_RANGE, Length)
    SIZE(BG_BASIC_CREDENTIALS)
    OFFSET(BG_BASIC_CREDENTIALS, UserName)
    OFFSET(BG_BASIC_CREDENTIALS, Password)
    SIZE(BG_AUTH_CREDENTIALS_UNION)
    SIZE(BG_AUTH_CREDENTIALS)
    OFFSET(BG_AUTH_CREDENTIALS, Target)
    OFFSET(BG_AUTH_CREDENTIALS, Scheme)
    OFFSET(BG_AUTH_CREDENTIALS, Credentials)
    SIZE(BITS_JOB_PROPERTY_VALUE)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Dword)
    OFFSET(BITS_JOB_PROPERTY_VALUE, ClsID)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Enable)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Uint64)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Target)
    SIZE(BG_JOB_STATE)
    SIZE(BG_JOB_PRIORITY)
    SIZE(BG_JOB_TYPE)
    SIZE(BG_JOB_PROXY_USAGE)
    SIZE(BG_ERROR_CONTEXT)
    SIZE(BG_AUTH_TARGET)
    SIZE(BG_AUTH_SCHEME)
    SIZE(BG_CERT_STORE_LOCATION)
    SIZE(BITS_JOB_PROPERTY_ID)
};
const unsigned int mingw_layout_count = sizeof(mingw_layouts) / sizeof(mingw_layouts[0]);

const struct abi_guid *const mingw_guids[] =
{
    &mingw_IID_IBackgroundCopyFile,
    &mingw_IID_IBackgroundCopyFile2,
    &mingw_IID_IEnumBackgroundCopyFiles,
    &mingw_IID_IEnumBackgroundCopyJobs,
    &mingw_IID_IBackgroundCopyError,
    &mingw_IID_IBackgroundCopyJob,
    &mingw_IID_IBackgroundCopyJob2,
    &mingw_IID_IBackgroundCopyJob3,
    &mingw_IID_IBackgroundCopyJob4,
    &mingw_IID_IBackgroundCopyJob5,
    &mingw_IID_IBackgroundCopyCallback,
    &mingw_IID_IBackgroundCopyCallback2,
    &mingw_IID_IBackgroundCopyManager,
    &mingw_IID_IBackgroundCopyJobHttpOptions,
    &mingw_CLSID_BackgroundCopyManager,
    &mingw_CLSID_BackgroundCopyManager1_5,
    &mingw_CLSID_BackgroundCopyManager2_0,
    &mingw_CLSID_BackgroundCopyManager2_5,
    &mingw_CLSID_BackgroundCopyManager3_0,
    &mingw_LIBID_BackgroundCopyManager,
    &mingw_LIBID_BackgroundCopyManager1_5,
    &mingw_LIBID_BackgroundCopyManager2_0,
    &mingw_LIBID_BackgroundCopyManager2_5,
    &mingw_LIBID_BackgroundCopyManager3_0,
};
const unsigned int mingw_guid_count = sizeof(mingw_guids) / sizeof(mingw_guids[0]);

/* 32-bit values go through unsigned int, 64-bit ones are taken as they are. */
#define C32(name) { #name, (unsigned int)(name) },
#define C64(name) { #name, (unsigned long long)(name) },

const struct abi_const mingw_consts[] =
{
    /* enumerators */
    C32(BG_JOB_PRIORITY_FOREGROUND)
    C32(BG_JOB_PRIORITY_HIGH)
    C32(BG_JOB_PRIORITY_NORMAL)
    C32(BG_JOB_PRIORITY_LOW)
    C32(BG_JOB_STATE_QUEUED)
    C32(BG_JOB_STATE_CONNECTING)
    C32(BG_JOB_STATE_TRANSFERRING)
    C32(BG_JOB_STATE_SUSPENDED)
    C32(BG_JOB_STATE_ERROR)
    C32(BG_JOB_STATE_TRANSIENT_ERROR)
    C32(BG_JOB_STATE_TRANSFERRED)
    C32(BG_JOB_STATE_ACKNOWLEDGED)
    C32(BG_JOB_STATE_CANCELLED)
    C32(BG_JOB_TYPE_DOWNLOAD)
    C32(BG_JOB_TYPE_UPLOAD)
    C32(BG_JOB_TYPE_UPLOAD_REPLY)
    C32(BG_JOB_PROXY_USAGE_PRECONFIG)
    C32(BG_JOB_PROXY_USAGE_NO_PROXY)
    C32(BG_JOB_PROXY_USAGE_OVERRIDE)
    C32(BG_JOB_PROXY_USAGE_AUTODETECT)
    C32(BG_ERROR_CONTEXT_NONE)
    C32(BG_ERROR_CONTEXT_UNKNOWN)
    C32(BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER)
    C32(BG_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION)
    C32(BG_ERROR_CONTEXT_LOCAL_FILE)
    C32(BG_ERROR_CONTEXT_REMOTE_FILE)
    C32(BG_ERROR_CONTEXT_GENERAL_TRANSPORT)
    C32(BG_ERROR_CONTEXT_REMOTE_APPLICATION)
    C32(BG_AUTH_TARGET_SERVER)
    C32(BG_AUTH_TARGET_PROXY)
    C32(BG_AUTH_SCHEME_BASIC)
    C32(BG_AUTH_SCHEME_DIGEST)
    C32(BG_AUTH_SCHEME_NTLM)
    C32(BG_AUTH_SCHEME_NEGOTIATE)
    C32(BG_AUTH_SCHEME_PASSPORT)
    C32(BG_CERT_STORE_LOCATION_CURRENT_USER)
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE)
    C32(BG_CERT_STORE_LOCATION_CURRENT_SERVICE)
    C32(BG_CERT_STORE_LOCATION_SERVICES)
    C32(BG_CERT_STORE_LOCATION_USERS)
    C32(BG_CERT_STORE_LOCATION_CURRENT_USER_GROUP_POLICY)
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE_GROUP_POLICY)
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE)
    C32(BITS_JOB_PROPERTY_ID_COST_FLAGS)
    C32(BITS_JOB_PROPERTY_NOTIFICATION_CLSID)
    C32(BITS_JOB_PROPERTY_DYNAMIC_CONTENT)
    C32(BITS_JOB_PROPERTY_HIGH_PERFORMANCE)
    C32(BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE)
    C32(BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS)
    C32(BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS)
    C32(BITS_JOB_PROPERTY_ON_DEMAND_MODE)

    /* #define'd constants */
    C32(BG_NOTIFY_JOB_TRANSFERRED)
    C32(BG_NOTIFY_JOB_ERROR)
    C32(BG_NOTIFY_DISABLE)
    C32(BG_NOTIFY_JOB_MODIFICATION)
    C32(BG_NOTIFY_FILE_TRANSFERRED)
    C32(BG_JOB_ENUM_ALL_USERS)
    C32(BG_COPY_FILE_OWNER)
    C32(BG_COPY_FILE_GROUP)
    C32(BG_COPY_FILE_DACL)
    C32(BG_COPY_FILE_SACL)
    C32(BG_COPY_FILE_ALL)
    C32(BG_JOB_ENABLE_PEERCACHING_CLIENT)
    C32(BG_JOB_ENABLE_PEERCACHING_SERVER)
    C32(BG_JOB_DISABLE_BRANCH_CACHE)
    C32(BITS_COST_STATE_TRANSFER_ALWAYS)
    C64(BG_SIZE_UNKNOWN)
    C64(BG_LENGTH_TO_EOF)

    /* bitsmsg.h: every code mingw-w64 defines */
    C32(BG_E_NOT_FOUND)
    C32(BG_E_INVALID_STATE)
    C32(BG_E_EMPTY)
    C32(BG_E_FILE_NOT_AVAILABLE)
    C32(BG_E_PROTOCOL_NOT_AVAILABLE)
    C32(BG_S_ERROR_CONTEXT_NONE)
    C32(BG_E_ERROR_CONTEXT_UNKNOWN)
    C32(BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER)
    C32(BG_E_ERROR_CONTEXT_LOCAL_FILE)
    C32(BG_E_ERROR_CONTEXT_REMOTE_FILE)
    C32(BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT)
    C32(BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION)
    C32(BG_E_DESTINATION_LOCKED)
    C32(BG_E_VOLUME_CHANGED)
    C32(BG_E_ERROR_INFORMATION_UNAVAILABLE)
    C32(BG_E_NETWORK_DISCONNECTED)
    C32(BG_E_MISSING_FILE_SIZE)
    C32(BG_E_INSUFFICIENT_HTTP_SUPPORT)
    C32(BG_E_INSUFFICIENT_RANGE_SUPPORT)
    C32(BG_E_REMOTE_NOT_SUPPORTED)
    C32(BG_E_NEW_OWNER_DIFF_MAPPING)
    C32(BG_E_NEW_OWNER_NO_FILE_ACCESS)
    C32(BG_S_PARTIAL_COMPLETE)
    C32(BG_E_PROXY_LIST_TOO_LARGE)
    C32(BG_E_PROXY_BYPASS_LIST_TOO_LARGE)
    C32(BG_S_UNABLE_TO_DELETE_FILES)
    C32(BG_E_INVALID_SERVER_RESPONSE)
    C32(BG_E_TOO_MANY_FILES)
    C32(BG_E_LOCAL_FILE_CHANGED)
    C32(BG_E_ERROR_CONTEXT_REMOTE_APPLICATION)
    C32(BG_E_SESSION_NOT_FOUND)
    C32(BG_E_TOO_LARGE)
    C32(BG_E_STRING_TOO_LONG)
    C32(BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH)
    C32(BG_E_SERVER_EXECUTE_ENABLE)
    C32(BG_E_NO_PROGRESS)
    C32(BG_E_USERNAME_TOO_LARGE)
    C32(BG_E_PASSWORD_TOO_LARGE)
    C32(BG_E_INVALID_AUTH_TARGET)
    C32(BG_E_INVALID_AUTH_SCHEME)
    C32(BG_E_FILE_NOT_FOUND)
    C32(BG_S_PROXY_CHANGED)
    C32(BG_E_INVALID_RANGE)
    C32(BG_E_OVERLAPPING_RANGES)
    C32(BG_E_CONNECT_FAILURE)
    C32(BG_E_CONNECTION_CLOSED)
    C32(BG_E_KEEP_ALIVE_FAILURE)
    C32(BG_E_MESSAGE_LENGTH_LIMIT_EXCEEDED)
    C32(BG_E_NAME_RESOLUTION_FAILURE)
    C32(BG_E_PENDING)
    C32(BG_E_PIPELINE_FAILURE)
    C32(BG_E_PROTOCOL_ERROR)
    C32(BG_E_PROXY_NAME_RESOLUTION_FAILURE)
    C32(BG_E_RECEIVE_FAILURE)
    C32(BG_E_REQUEST_CANCELED)
    C32(BG_E_SECURE_CHANNEL_FAILURE)
    C32(BG_E_SEND_FAILURE)
    C32(BG_E_SERVER_PROTOCOL_VIOLATION)
    C32(BG_E_TIMEOUT)
    C32(BG_E_TRUST_FAILURE)
    C32(BG_E_UNKNOWN_ERROR)
    C32(BG_E_BLOCKED_BY_POLICY)
    C32(BG_E_INVALID_PROXY_INFO)
    C32(BG_E_INVALID_CREDENTIALS)
    C32(BG_E_HTTP_ERROR_100)
    C32(BG_E_HTTP_ERROR_101)
    C32(BG_E_HTTP_ERROR_200)
    C32(BG_E_HTTP_ERROR_201)
    C32(BG_E_HTTP_ERROR_202)
    C32(BG_E_HTTP_ERROR_203)
    C32(BG_E_HTTP_ERROR_204)
    C32(BG_E_HTTP_ERROR_205)
    C32(BG_E_HTTP_ERROR_206)
    C32(BG_E_HTTP_ERROR_300)
    C32(BG_E_HTTP_ERROR_301)
    C32(BG_E_HTTP_ERROR_302)
    C32(BG_E_HTTP_ERROR_303)
    C32(BG_E_HTTP_ERROR_304)
    C32(BG_E_HTTP_ERROR_305)
    C32(BG_E_HTTP_ERROR_307)
    C32(BG_E_HTTP_ERROR_400)
    C32(BG_E_HTTP_ERROR_401)
    C32(BG_E_HTTP_ERROR_402)
    C32(BG_E_HTTP_ERROR_403)
    C32(BG_E_HTTP_ERROR_404)
    C32(BG_E_HTTP_ERROR_405)
    C32(BG_E_HTTP_ERROR_406)
    C32(BG_E_HTTP_ERROR_407)
    C32(BG_E_HTTP_ERROR_408)
    C32(BG_E_HTTP_ERROR_409)
    C32(BG_E_HTTP_ERROR_410)
    C32(BG_E_HTTP_ERROR_411)
    C32(BG_E_HTTP_ERROR_412)
    C32(BG_E_HTTP_ERROR_413)
    C32(BG_E_HTTP_ERROR_414)
    C32(BG_E_HTTP_ERROR_415)
    C32(BG_E_HTTP_ERROR_416)
    C32(BG_E_HTTP_ERROR_417)
    C32(BG_E_HTTP_ERROR_449)
    C32(BG_E_HTTP_ERROR_500)
    C32(BG_E_HTTP_ERROR_501)
    C32(BG_E_HTTP_ERROR_502)
    C32(BG_E_HTTP_ERROR_503)
    C32(BG_E_HTTP_ERROR_504)
    C32(BG_E_HTTP_ERROR_505)
    C32(BITS_MC_JOB_CANCELLED)
    C32(BITS_MC_FILE_DELETION_FAILED)
    C32(BITS_MC_FILE_DELETION_FAILED_MORE)
    C32(BITS_MC_JOB_PROPERTY_CHANGE)
    C32(BITS_MC_JOB_TAKE_OWNERSHIP)
    C32(BITS_MC_JOB_SCAVENGED)
    C32(BITS_MC_JOB_NOTIFICATION_FAILURE)
    C32(BITS_MC_STATE_FILE_CORRUPT)
    C32(BITS_MC_FAILED_TO_START)
};
const unsigned int mingw_const_count = sizeof(mingw_consts) / sizeof(mingw_consts[0]);

const unsigned int mingw_pointer_size = sizeof(void *);

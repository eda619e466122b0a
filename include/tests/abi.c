/*
 * ABI conformance of our BITS headers (the include/ IDL files and bitsmsg.h).
 *
 * Every expected value below is written out from the specification digest
 * (interfaces.md, behavior.md section 17), never computed from a header:
 * IIDs, CLSIDs and LIBIDs, the vtable slot of every method of every
 * interface (inherited slots included), vtable sizes, structure sizes and
 * offsets, enumerator and constant values and status codes.
 *
 * The same quantities as mingw-w64's headers declare them come from
 * abi_mingw.c (built against mingw-w64's headers alone) and must agree with
 * ours, except where mingw-w64 is known to differ from the SDK (listed and
 * reported with trace(); our value must then equal the specification).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"

#include "abi_tables.h"

#ifndef __QMGR_BITSMSG_H
#error "bitsmsg.h must be ours (include/bitsmsg.h), not Wine's or mingw-w64's"
#endif

/* ------------------------------------------------------------------------
 * Vtable slots.  Each list extends its parent's; numbers are the "Slot"
 * column of interfaces.md.
 */

#define M_IUnknown(X, I) X(I, QueryInterface, 0) X(I, AddRef, 1) X(I, Release, 2)

#define M_IBackgroundCopyManager(X, I) M_IUnknown(X, I) \
    X(I, CreateJob, 3) X(I, GetJob, 4) X(I, EnumJobs, 5) X(I, GetErrorDescription, 6)

#define M_IBackgroundCopyJob(X, I) M_IUnknown(X, I) \
    X(I, AddFileSet, 3) X(I, AddFile, 4) X(I, EnumFiles, 5) X(I, Suspend, 6) \
    X(I, Resume, 7) X(I, Cancel, 8) X(I, Complete, 9) X(I, GetId, 10) \
    X(I, GetType, 11) X(I, GetProgress, 12) X(I, GetTimes, 13) X(I, GetState, 14) \
    X(I, GetError, 15) X(I, GetOwner, 16) X(I, SetDisplayName, 17) \
    X(I, GetDisplayName, 18) X(I, SetDescription, 19) X(I, GetDescription, 20) \
    X(I, SetPriority, 21) X(I, GetPriority, 22) X(I, SetNotifyFlags, 23) \
    X(I, GetNotifyFlags, 24) X(I, SetNotifyInterface, 25) \
    X(I, GetNotifyInterface, 26) X(I, SetMinimumRetryDelay, 27) \
    X(I, GetMinimumRetryDelay, 28) X(I, SetNoProgressTimeout, 29) \
    X(I, GetNoProgressTimeout, 30) X(I, GetErrorCount, 31) \
    X(I, SetProxySettings, 32) X(I, GetProxySettings, 33) X(I, TakeOwnership, 34)
#define M_IBackgroundCopyJob2(X, I) M_IBackgroundCopyJob(X, I) \
    X(I, SetNotifyCmdLine, 35) X(I, GetNotifyCmdLine, 36) X(I, GetReplyProgress, 37) \
    X(I, GetReplyData, 38) X(I, SetReplyFileName, 39) X(I, GetReplyFileName, 40) \
    X(I, SetCredentials, 41) X(I, RemoveCredentials, 42)
#define M_IBackgroundCopyJob3(X, I) M_IBackgroundCopyJob2(X, I) \
    X(I, ReplaceRemotePrefix, 43) X(I, AddFileWithRanges, 44) \
    X(I, SetFileACLFlags, 45) X(I, GetFileACLFlags, 46)
#define M_IBackgroundCopyJob4(X, I) M_IBackgroundCopyJob3(X, I) \
    X(I, SetPeerCachingFlags, 47) X(I, GetPeerCachingFlags, 48) \
    X(I, GetOwnerIntegrityLevel, 49) X(I, GetOwnerElevationState, 50) \
    X(I, SetMaximumDownloadTime, 51) X(I, GetMaximumDownloadTime, 52)
#define M_IBackgroundCopyJob5(X, I) M_IBackgroundCopyJob4(X, I) \
    X(I, SetProperty, 53) X(I, GetProperty, 54)

#define M_IBackgroundCopyJobHttpOptions(X, I) M_IUnknown(X, I) \
    X(I, SetClientCertificateByID, 3) X(I, SetClientCertificateByName, 4) \
    X(I, RemoveClientCertificate, 5) X(I, GetClientCertificate, 6) \
    X(I, SetCustomHeaders, 7) X(I, GetCustomHeaders, 8) \
    X(I, SetSecurityFlags, 9) X(I, GetSecurityFlags, 10)
#define M_IBackgroundCopyJobHttpOptions2(X, I) M_IBackgroundCopyJobHttpOptions(X, I) \
    X(I, SetHttpMethod, 11) X(I, GetHttpMethod, 12)
#define M_IBackgroundCopyJobHttpOptions3(X, I) M_IBackgroundCopyJobHttpOptions2(X, I) \
    X(I, SetServerCertificateValidationInterface, 13) X(I, MakeCustomHeadersWriteOnly, 14)

#define M_IBitsTokenOptions(X, I) M_IUnknown(X, I) \
    X(I, SetHelperTokenFlags, 3) X(I, GetHelperTokenFlags, 4) X(I, SetHelperToken, 5) \
    X(I, ClearHelperToken, 6) X(I, GetHelperTokenSid, 7)

#define M_IBackgroundCopyFile(X, I) M_IUnknown(X, I) \
    X(I, GetRemoteName, 3) X(I, GetLocalName, 4) X(I, GetProgress, 5)
#define M_IBackgroundCopyFile2(X, I) M_IBackgroundCopyFile(X, I) \
    X(I, GetFileRanges, 6) X(I, SetRemoteName, 7)
#define M_IBackgroundCopyFile3(X, I) M_IBackgroundCopyFile2(X, I) \
    X(I, GetTemporaryName, 8) X(I, SetValidationState, 9) \
    X(I, GetValidationState, 10) X(I, IsDownloadedFromPeer, 11)
#define M_IBackgroundCopyFile4(X, I) M_IBackgroundCopyFile3(X, I) \
    X(I, GetPeerDownloadStats, 12)
#define M_IBackgroundCopyFile5(X, I) M_IBackgroundCopyFile4(X, I) \
    X(I, SetProperty, 13) X(I, GetProperty, 14)
#define M_IBackgroundCopyFile6(X, I) M_IBackgroundCopyFile5(X, I) \
    X(I, UpdateDownloadPosition, 15) X(I, RequestFileRanges, 16) \
    X(I, GetFilledFileRanges, 17)

#define M_IEnum(X, I) M_IUnknown(X, I) \
    X(I, Next, 3) X(I, Skip, 4) X(I, Reset, 5) X(I, Clone, 6) X(I, GetCount, 7)

#define M_IBackgroundCopyError(X, I) M_IUnknown(X, I) \
    X(I, GetError, 3) X(I, GetFile, 4) X(I, GetErrorDescription, 5) \
    X(I, GetErrorContextDescription, 6) X(I, GetProtocol, 7)

#define M_IBackgroundCopyCallback(X, I) M_IUnknown(X, I) \
    X(I, JobTransferred, 3) X(I, JobError, 4) X(I, JobModification, 5)
#define M_AsyncIBackgroundCopyCallback(X, I) M_IUnknown(X, I) \
    X(I, Begin_JobTransferred, 3) X(I, Finish_JobTransferred, 4) \
    X(I, Begin_JobError, 5) X(I, Finish_JobError, 6) \
    X(I, Begin_JobModification, 7) X(I, Finish_JobModification, 8)
#define M_IBackgroundCopyCallback2(X, I) M_IBackgroundCopyCallback(X, I) \
    X(I, FileTransferred, 6)
#define M_IBackgroundCopyCallback3(X, I) M_IBackgroundCopyCallback2(X, I) \
    X(I, FileRangesTransferred, 7)
#define M_IBackgroundCopyServerCertificateValidationCallback(X, I) M_IUnknown(X, I) \
    X(I, ValidateServerCertificate, 3)

#define M_IBitsPeerCacheAdministration(X, I) M_IUnknown(X, I) \
    X(I, GetMaximumCacheSize, 3) X(I, SetMaximumCacheSize, 4) \
    X(I, GetMaximumContentAge, 5) X(I, SetMaximumContentAge, 6) \
    X(I, GetConfigurationFlags, 7) X(I, SetConfigurationFlags, 8) \
    X(I, EnumRecords, 9) X(I, GetRecord, 10) X(I, ClearRecords, 11) \
    X(I, DeleteRecord, 12) X(I, DeleteUrl, 13) X(I, EnumPeers, 14) \
    X(I, ClearPeers, 15) X(I, DiscoverPeers, 16)
#define M_IBitsPeerCacheRecord(X, I) M_IUnknown(X, I) \
    X(I, GetId, 3) X(I, GetOriginUrl, 4) X(I, GetFileSize, 5) \
    X(I, GetFileModificationTime, 6) X(I, GetLastAccessTime, 7) \
    X(I, IsFileValidated, 8) X(I, GetFileRanges, 9)
#define M_IBitsPeer(X, I) M_IUnknown(X, I) \
    X(I, GetPeerName, 3) X(I, IsAuthenticated, 4) X(I, IsAvailable, 5)

struct slot_check
{
    const char *iface;
    const char *method;
    unsigned int expected;  /* interfaces.md */
    unsigned int ours;      /* our header */
};

#define SLOT(I, M, N) { #I, #M, N, (unsigned int)(offsetof(I##Vtbl, M) / sizeof(void *)) },

static const struct slot_check slots[] =
{
    M_IBackgroundCopyManager(SLOT, IBackgroundCopyManager)
    M_IBackgroundCopyJob(SLOT, IBackgroundCopyJob)
    M_IBackgroundCopyJob2(SLOT, IBackgroundCopyJob2)
    M_IBackgroundCopyJob3(SLOT, IBackgroundCopyJob3)
    M_IBackgroundCopyJob4(SLOT, IBackgroundCopyJob4)
    M_IBackgroundCopyJob5(SLOT, IBackgroundCopyJob5)
    M_IBackgroundCopyJobHttpOptions(SLOT, IBackgroundCopyJobHttpOptions)
    M_IBackgroundCopyJobHttpOptions2(SLOT, IBackgroundCopyJobHttpOptions2)
    M_IBackgroundCopyJobHttpOptions3(SLOT, IBackgroundCopyJobHttpOptions3)
    M_IBitsTokenOptions(SLOT, IBitsTokenOptions)
    M_IBackgroundCopyFile(SLOT, IBackgroundCopyFile)
    M_IBackgroundCopyFile2(SLOT, IBackgroundCopyFile2)
    M_IBackgroundCopyFile3(SLOT, IBackgroundCopyFile3)
    M_IBackgroundCopyFile4(SLOT, IBackgroundCopyFile4)
    M_IBackgroundCopyFile5(SLOT, IBackgroundCopyFile5)
    M_IBackgroundCopyFile6(SLOT, IBackgroundCopyFile6)
    M_IEnum(SLOT, IEnumBackgroundCopyJobs)
    M_IEnum(SLOT, IEnumBackgroundCopyFiles)
    M_IEnum(SLOT, IEnumBitsPeerCacheRecords)
    M_IEnum(SLOT, IEnumBitsPeers)
    M_IBackgroundCopyError(SLOT, IBackgroundCopyError)
    M_IBackgroundCopyCallback(SLOT, IBackgroundCopyCallback)
    M_AsyncIBackgroundCopyCallback(SLOT, AsyncIBackgroundCopyCallback)
    M_IBackgroundCopyCallback2(SLOT, IBackgroundCopyCallback2)
    M_IBackgroundCopyCallback3(SLOT, IBackgroundCopyCallback3)
    M_IBackgroundCopyServerCertificateValidationCallback(SLOT,
            IBackgroundCopyServerCertificateValidationCallback)
    M_IBitsPeerCacheAdministration(SLOT, IBitsPeerCacheAdministration)
    M_IBitsPeerCacheRecord(SLOT, IBitsPeerCacheRecord)
    M_IBitsPeer(SLOT, IBitsPeer)
};

/* ------------------------------------------------------------------------
 * Vtable sizes ("N entries" in interfaces.md).
 */

struct vtbl_check
{
    const char *iface;
    unsigned int expected;
    unsigned int ours;
};

#define VTBL(I, N) { #I, N, (unsigned int)(sizeof(I##Vtbl) / sizeof(void *)) },

static const struct vtbl_check vtbls[] =
{
    VTBL(IBackgroundCopyManager, 7)
    VTBL(IBackgroundCopyJob, 35)
    VTBL(IBackgroundCopyJob2, 43)
    VTBL(IBackgroundCopyJob3, 47)
    VTBL(IBackgroundCopyJob4, 53)
    VTBL(IBackgroundCopyJob5, 55)
    VTBL(IBackgroundCopyJobHttpOptions, 11)
    VTBL(IBackgroundCopyJobHttpOptions2, 13)
    VTBL(IBackgroundCopyJobHttpOptions3, 15)
    VTBL(IBitsTokenOptions, 8)
    VTBL(IBackgroundCopyFile, 6)
    VTBL(IBackgroundCopyFile2, 8)
    VTBL(IBackgroundCopyFile3, 12)
    VTBL(IBackgroundCopyFile4, 13)
    VTBL(IBackgroundCopyFile5, 15)
    VTBL(IBackgroundCopyFile6, 18)
    VTBL(IEnumBackgroundCopyJobs, 8)
    VTBL(IEnumBackgroundCopyFiles, 8)
    VTBL(IEnumBitsPeerCacheRecords, 8)
    VTBL(IEnumBitsPeers, 8)
    VTBL(IBackgroundCopyError, 8)
    VTBL(IBackgroundCopyCallback, 6)
    VTBL(AsyncIBackgroundCopyCallback, 9)
    VTBL(IBackgroundCopyCallback2, 7)
    VTBL(IBackgroundCopyCallback3, 8)
    VTBL(IBackgroundCopyServerCertificateValidationCallback, 4)
    VTBL(IBitsPeerCacheAdministration, 17)
    VTBL(IBitsPeerCacheRecord, 10)
    VTBL(IBitsPeer, 6)
};

/* ------------------------------------------------------------------------
 * GUIDs, as written in interfaces.md sections 1 and 2.
 */

struct guid_check
{
    const char *name;
    const GUID *ours;
    const char *expected;
};

static const struct guid_check guids[] =
{
    { "IID_IBackgroundCopyManager", &IID_IBackgroundCopyManager, "{5CE34C0D-0DC9-4C1F-897C-DAA1B78CEE7C}" },
    { "IID_IBackgroundCopyJob", &IID_IBackgroundCopyJob, "{37668D37-507E-4160-9316-26306D150B12}" },
    { "IID_IBackgroundCopyJob2", &IID_IBackgroundCopyJob2, "{54B50739-686F-45EB-9DFF-D6A9A0FAA9AF}" },
    { "IID_IBackgroundCopyJob3", &IID_IBackgroundCopyJob3, "{443C8934-90FF-48ED-BCDE-26F5C7450042}" },
    { "IID_IBackgroundCopyJob4", &IID_IBackgroundCopyJob4, "{659CDEAE-489E-11D9-A9CD-000D56965251}" },
    { "IID_IBackgroundCopyJob5", &IID_IBackgroundCopyJob5, "{E847030C-BBBA-4657-AF6D-484AA42BF1FE}" },
    { "IID_IBackgroundCopyJobHttpOptions", &IID_IBackgroundCopyJobHttpOptions, "{F1BD1079-9F01-4BDC-8036-F09B70095066}" },
    { "IID_IBackgroundCopyJobHttpOptions2", &IID_IBackgroundCopyJobHttpOptions2, "{B591A192-A405-4FC3-8323-4C5C542578FC}" },
    { "IID_IBackgroundCopyJobHttpOptions3", &IID_IBackgroundCopyJobHttpOptions3, "{8A9263D3-FD4C-4EDA-9B28-30132A4D4E3C}" },
    { "IID_IBitsTokenOptions", &IID_IBitsTokenOptions, "{9A2584C3-F7D2-457A-9A5E-22B67BFFC7D2}" },
    { "IID_IBackgroundCopyFile", &IID_IBackgroundCopyFile, "{01B7BD23-FB88-4A77-8490-5891D3E4653A}" },
    { "IID_IBackgroundCopyFile2", &IID_IBackgroundCopyFile2, "{83E81B93-0873-474D-8A8C-F2018B1A939C}" },
    { "IID_IBackgroundCopyFile3", &IID_IBackgroundCopyFile3, "{659CDEAA-489E-11D9-A9CD-000D56965251}" },
    { "IID_IBackgroundCopyFile4", &IID_IBackgroundCopyFile4, "{EF7E0655-7888-4960-B0E5-730846E03492}" },
    { "IID_IBackgroundCopyFile5", &IID_IBackgroundCopyFile5, "{85C1657F-DAFC-40E8-8834-DF18EA25717E}" },
    { "IID_IBackgroundCopyFile6", &IID_IBackgroundCopyFile6, "{CF6784F7-D677-49FD-9368-CB47AEE9D1AD}" },
    { "IID_IEnumBackgroundCopyJobs", &IID_IEnumBackgroundCopyJobs, "{1AF4F612-3B71-466F-8F58-7B6F73AC57AD}" },
    { "IID_IEnumBackgroundCopyFiles", &IID_IEnumBackgroundCopyFiles, "{CA51E165-C365-424C-8D41-24AAA4FF3C40}" },
    { "IID_IBackgroundCopyError", &IID_IBackgroundCopyError, "{19C613A0-FCB8-4F28-81AE-897C3D078F81}" },
    { "IID_IBackgroundCopyCallback", &IID_IBackgroundCopyCallback, "{97EA99C7-0186-4AD4-8DF9-C5B4E0ED6B22}" },
    { "IID_AsyncIBackgroundCopyCallback", &IID_AsyncIBackgroundCopyCallback, "{CA29D251-B4BB-4679-A3D9-AE8006119D54}" },
    { "IID_IBackgroundCopyCallback2", &IID_IBackgroundCopyCallback2, "{659CDEAC-489E-11D9-A9CD-000D56965251}" },
    { "IID_IBackgroundCopyCallback3", &IID_IBackgroundCopyCallback3, "{98C97BD2-E32B-4AD8-A528-95FD8B16BD42}" },
    { "IID_IBackgroundCopyServerCertificateValidationCallback", &IID_IBackgroundCopyServerCertificateValidationCallback, "{4CEC0D02-DEF7-4158-813A-C32A46945FF7}" },
    { "IID_IBitsPeerCacheAdministration", &IID_IBitsPeerCacheAdministration, "{659CDEAD-489E-11D9-A9CD-000D56965251}" },
    { "IID_IBitsPeerCacheRecord", &IID_IBitsPeerCacheRecord, "{659CDEAF-489E-11D9-A9CD-000D56965251}" },
    { "IID_IEnumBitsPeerCacheRecords", &IID_IEnumBitsPeerCacheRecords, "{659CDEA4-489E-11D9-A9CD-000D56965251}" },
    { "IID_IBitsPeer", &IID_IBitsPeer, "{659CDEA2-489E-11D9-A9CD-000D56965251}" },
    { "IID_IEnumBitsPeers", &IID_IEnumBitsPeers, "{659CDEA5-489E-11D9-A9CD-000D56965251}" },
    { "CLSID_BackgroundCopyManager", &CLSID_BackgroundCopyManager, "{4991D34B-80A1-4291-83B6-3328366B9097}" },
    { "CLSID_BackgroundCopyManager1_5", &CLSID_BackgroundCopyManager1_5, "{F087771F-D74F-4C1A-BB8A-E16ACA9124EA}" },
    { "CLSID_BackgroundCopyManager2_0", &CLSID_BackgroundCopyManager2_0, "{6D18AD12-BDE3-4393-B311-099C346E6DF9}" },
    { "CLSID_BackgroundCopyManager2_5", &CLSID_BackgroundCopyManager2_5, "{03CA98D6-FF5D-49B8-ABC6-03DD84127020}" },
    { "CLSID_BackgroundCopyManager3_0", &CLSID_BackgroundCopyManager3_0, "{659CDEA7-489E-11D9-A9CD-000D56965251}" },
    { "CLSID_BackgroundCopyManager4_0", &CLSID_BackgroundCopyManager4_0, "{BB6DF56B-CACE-11DC-9992-0019B93A3A84}" },
    { "CLSID_BackgroundCopyManager5_0", &CLSID_BackgroundCopyManager5_0, "{1ECCA34C-E88A-44E3-8D6A-8921BDE9E452}" },
    { "CLSID_BackgroundCopyManager10_1", &CLSID_BackgroundCopyManager10_1, "{4BD3E4E1-7BD4-4A2B-9964-496400DE5193}" },
    { "CLSID_BackgroundCopyManager10_2", &CLSID_BackgroundCopyManager10_2, "{4575438F-A6C8-4976-B0FE-2F26B80D959E}" },
    { "CLSID_BackgroundCopyManager10_3", &CLSID_BackgroundCopyManager10_3, "{5FD42AD5-C04E-4D36-ADC7-E08FF15737AD}" },
    { "LIBID_BackgroundCopyManager", &LIBID_BackgroundCopyManager, "{1DEEB74F-7915-4560-B558-918C83F176A6}" },
    { "LIBID_BackgroundCopyManager1_5", &LIBID_BackgroundCopyManager1_5, "{EA9319EA-C628-480F-8331-768FAC397E4E}" },
    { "LIBID_BackgroundCopyManager2_0", &LIBID_BackgroundCopyManager2_0, "{2289A9AF-DC96-486E-B268-89C9E3397C3D}" },
    { "LIBID_BackgroundCopyManager2_5", &LIBID_BackgroundCopyManager2_5, "{4974177C-3BB6-4C37-9FF0-6B7426F0ABA9}" },
    { "LIBID_BackgroundCopyManager3_0", &LIBID_BackgroundCopyManager3_0, "{659CDEA6-489E-11D9-A9CD-000D56965251}" },
    { "LIBID_BackgroundCopyManager4_0", &LIBID_BackgroundCopyManager4_0, "{BB6DF56A-CACE-11DC-9992-0019B93A3A84}" },
    { "LIBID_BackgroundCopyManager5_0", &LIBID_BackgroundCopyManager5_0, "{D548BC1B-6C12-432E-B176-A96E10681A31}" },
    { "LIBID_BackgroundCopyManager10_1", &LIBID_BackgroundCopyManager10_1, "{8A39E4B6-22C9-4B39-9E0C-B1CDF5F967FD}" },
    { "LIBID_BackgroundCopyManager10_2", &LIBID_BackgroundCopyManager10_2, "{70CDC92E-4B95-49EB-8CDA-AD39AA7CC4A0}" },
    { "LIBID_BackgroundCopyManager10_3", &LIBID_BackgroundCopyManager10_3, "{9FD340E7-BB7E-46E6-B912-C6D0894F9AC9}" },
};

/* ------------------------------------------------------------------------
 * Structure sizes and member offsets (interfaces.md section 12).  P is the
 * pointer size, so the table also holds for a 32-bit build.
 */

struct layout_check
{
    const char *type;
    const char *member;         /* NULL: sizeof(type) */
    unsigned int expected;      /* sizeof(type) or offsetof(type, member) */
    unsigned int ours;
    unsigned int expected_size; /* sizeof(member) */
    unsigned int ours_size;
};

#define P ((unsigned int)sizeof(void *))
#define SIZE(T, N)         { #T, NULL, N, (unsigned int)sizeof(T), 0, 0 },
#define OFFSET(T, M, N, S) { #T, #M, N, (unsigned int)offsetof(T, M), S, (unsigned int)sizeof(((T *)0)->M) },

static const struct layout_check layouts[] =
{
    SIZE(BG_FILE_INFO, 2 * P)
    OFFSET(BG_FILE_INFO, RemoteName, 0, P)
    OFFSET(BG_FILE_INFO, LocalName, P, P)
    SIZE(BG_FILE_PROGRESS, 24)
    OFFSET(BG_FILE_PROGRESS, BytesTotal, 0, 8)
    OFFSET(BG_FILE_PROGRESS, BytesTransferred, 8, 8)
    OFFSET(BG_FILE_PROGRESS, Completed, 16, 4)
    SIZE(BG_JOB_PROGRESS, 24)
    OFFSET(BG_JOB_PROGRESS, BytesTotal, 0, 8)
    OFFSET(BG_JOB_PROGRESS, BytesTransferred, 8, 8)
    OFFSET(BG_JOB_PROGRESS, FilesTotal, 16, 4)
    OFFSET(BG_JOB_PROGRESS, FilesTransferred, 20, 4)
    SIZE(BG_JOB_TIMES, 24)
    OFFSET(BG_JOB_TIMES, CreationTime, 0, 8)
    OFFSET(BG_JOB_TIMES, ModificationTime, 8, 8)
    OFFSET(BG_JOB_TIMES, TransferCompletionTime, 16, 8)
    SIZE(BG_JOB_REPLY_PROGRESS, 16)
    OFFSET(BG_JOB_REPLY_PROGRESS, BytesTotal, 0, 8)
    OFFSET(BG_JOB_REPLY_PROGRESS, BytesTransferred, 8, 8)
    SIZE(BG_FILE_RANGE, 16)
    OFFSET(BG_FILE_RANGE, InitialOffset, 0, 8)
    OFFSET(BG_FILE_RANGE, Length, 8, 8)
    SIZE(BG_BASIC_CREDENTIALS, 2 * P)
    OFFSET(BG_BASIC_CREDENTIALS, UserName, 0, P)
    OFFSET(BG_BASIC_CREDENTIALS, Password, P, P)
    SIZE(BG_AUTH_CREDENTIALS_UNION, 2 * P)
    SIZE(BG_AUTH_CREDENTIALS, 8 + 2 * P)
    OFFSET(BG_AUTH_CREDENTIALS, Target, 0, 4)
    OFFSET(BG_AUTH_CREDENTIALS, Scheme, 4, 4)
    OFFSET(BG_AUTH_CREDENTIALS, Credentials, 8, 2 * P)
    SIZE(BITS_JOB_PROPERTY_VALUE, 16)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Dword, 0, 4)
    OFFSET(BITS_JOB_PROPERTY_VALUE, ClsID, 0, 16)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Enable, 0, 4)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Uint64, 0, 8)
    OFFSET(BITS_JOB_PROPERTY_VALUE, Target, 0, 4)
    SIZE(BITS_FILE_PROPERTY_VALUE, P)
    OFFSET(BITS_FILE_PROPERTY_VALUE, String, 0, P)
    /* enums are 32-bit ints */
    SIZE(BG_JOB_STATE, 4)
    SIZE(BG_JOB_PRIORITY, 4)
    SIZE(BG_JOB_TYPE, 4)
    SIZE(BG_JOB_PROXY_USAGE, 4)
    SIZE(BG_ERROR_CONTEXT, 4)
    SIZE(BG_AUTH_TARGET, 4)
    SIZE(BG_AUTH_SCHEME, 4)
    SIZE(BG_CERT_STORE_LOCATION, 4)
    SIZE(BITS_JOB_PROPERTY_ID, 4)
    SIZE(BITS_FILE_PROPERTY_ID, 4)
    SIZE(BITS_JOB_TRANSFER_POLICY, 4)
};

/* ------------------------------------------------------------------------
 * Enumerators, constants and status codes (interfaces.md section 12,
 * behavior.md section 17, token-options.md).  32-bit values are compared
 * as unsigned int, BG_SIZE_UNKNOWN / BG_LENGTH_TO_EOF as 64-bit values.
 */

struct const_check
{
    const char *name;
    unsigned long long expected;
    unsigned long long ours;
};

#define C32(name, v) { #name, (unsigned int)(v), (unsigned int)(name) }
#define C64(name, v) { #name, (unsigned long long)(v), (unsigned long long)(name) }

static const struct const_check consts[] =
{
    /* BG_JOB_STATE */
    C32(BG_JOB_STATE_QUEUED, 0),
    C32(BG_JOB_STATE_CONNECTING, 1),
    C32(BG_JOB_STATE_TRANSFERRING, 2),
    C32(BG_JOB_STATE_SUSPENDED, 3),
    C32(BG_JOB_STATE_ERROR, 4),
    C32(BG_JOB_STATE_TRANSIENT_ERROR, 5),
    C32(BG_JOB_STATE_TRANSFERRED, 6),
    C32(BG_JOB_STATE_ACKNOWLEDGED, 7),
    C32(BG_JOB_STATE_CANCELLED, 8),
    /* BG_JOB_PRIORITY */
    C32(BG_JOB_PRIORITY_FOREGROUND, 0),
    C32(BG_JOB_PRIORITY_HIGH, 1),
    C32(BG_JOB_PRIORITY_NORMAL, 2),
    C32(BG_JOB_PRIORITY_LOW, 3),
    /* BG_JOB_TYPE */
    C32(BG_JOB_TYPE_DOWNLOAD, 0),
    C32(BG_JOB_TYPE_UPLOAD, 1),
    C32(BG_JOB_TYPE_UPLOAD_REPLY, 2),
    /* BG_JOB_PROXY_USAGE */
    C32(BG_JOB_PROXY_USAGE_PRECONFIG, 0),
    C32(BG_JOB_PROXY_USAGE_NO_PROXY, 1),
    C32(BG_JOB_PROXY_USAGE_OVERRIDE, 2),
    C32(BG_JOB_PROXY_USAGE_AUTODETECT, 3),
    /* BG_ERROR_CONTEXT */
    C32(BG_ERROR_CONTEXT_NONE, 0),
    C32(BG_ERROR_CONTEXT_UNKNOWN, 1),
    C32(BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, 2),
    C32(BG_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION, 3),
    C32(BG_ERROR_CONTEXT_LOCAL_FILE, 4),
    C32(BG_ERROR_CONTEXT_REMOTE_FILE, 5),
    C32(BG_ERROR_CONTEXT_GENERAL_TRANSPORT, 6),
    C32(BG_ERROR_CONTEXT_REMOTE_APPLICATION, 7),
    C32(BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, 8),
    /* BG_AUTH_TARGET, BG_AUTH_SCHEME */
    C32(BG_AUTH_TARGET_SERVER, 1),
    C32(BG_AUTH_TARGET_PROXY, 2),
    C32(BG_AUTH_SCHEME_BASIC, 1),
    C32(BG_AUTH_SCHEME_DIGEST, 2),
    C32(BG_AUTH_SCHEME_NTLM, 3),
    C32(BG_AUTH_SCHEME_NEGOTIATE, 4),
    C32(BG_AUTH_SCHEME_PASSPORT, 5),
    /* BG_CERT_STORE_LOCATION */
    C32(BG_CERT_STORE_LOCATION_CURRENT_USER, 0),
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE, 1),
    C32(BG_CERT_STORE_LOCATION_CURRENT_SERVICE, 2),
    C32(BG_CERT_STORE_LOCATION_SERVICES, 3),
    C32(BG_CERT_STORE_LOCATION_USERS, 4),
    C32(BG_CERT_STORE_LOCATION_CURRENT_USER_GROUP_POLICY, 5),
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE_GROUP_POLICY, 6),
    C32(BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE, 7),
    /* BITS_JOB_PROPERTY_ID, BITS_FILE_PROPERTY_ID */
    C32(BITS_JOB_PROPERTY_ID_COST_FLAGS, 1),
    C32(BITS_JOB_PROPERTY_NOTIFICATION_CLSID, 2),
    C32(BITS_JOB_PROPERTY_DYNAMIC_CONTENT, 3),
    C32(BITS_JOB_PROPERTY_HIGH_PERFORMANCE, 4),
    C32(BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, 5),
    C32(BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, 7),
    C32(BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, 9),
    C32(BITS_JOB_PROPERTY_ON_DEMAND_MODE, 10),
    C32(BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, 1),
    /* BITS_JOB_TRANSFER_POLICY */
    C32(BITS_JOB_TRANSFER_POLICY_ALWAYS, 0x800000ff),
    C32(BITS_JOB_TRANSFER_POLICY_NOT_ROAMING, 0x8000007f),
    C32(BITS_JOB_TRANSFER_POLICY_NO_SURCHARGE, 0x8000006f),
    C32(BITS_JOB_TRANSFER_POLICY_STANDARD, 0x80000067),
    C32(BITS_JOB_TRANSFER_POLICY_UNRESTRICTED, 0x80000021),
    /* sizes */
    C64(BG_SIZE_UNKNOWN, 0xffffffffffffffffull),
    C64(BG_LENGTH_TO_EOF, 0xffffffffffffffffull),
    /* BG_NOTIFY_* */
    C32(BG_NOTIFY_JOB_TRANSFERRED, 0x0001),
    C32(BG_NOTIFY_JOB_ERROR, 0x0002),
    C32(BG_NOTIFY_DISABLE, 0x0004),
    C32(BG_NOTIFY_JOB_MODIFICATION, 0x0008),
    C32(BG_NOTIFY_FILE_TRANSFERRED, 0x0010),
    C32(BG_NOTIFY_FILE_RANGES_TRANSFERRED, 0x0020),
    C32(BG_JOB_ENUM_ALL_USERS, 0x0001),
    /* BG_COPY_FILE_* */
    C32(BG_COPY_FILE_OWNER, 1),
    C32(BG_COPY_FILE_GROUP, 2),
    C32(BG_COPY_FILE_DACL, 4),
    C32(BG_COPY_FILE_SACL, 8),
    C32(BG_COPY_FILE_ALL, 15),
    /* BG_SSL_*, BG_HTTP_REDIRECT_POLICY_* */
    C32(BG_SSL_ENABLE_CRL_CHECK, 0x0001),
    C32(BG_SSL_IGNORE_CERT_CN_INVALID, 0x0002),
    C32(BG_SSL_IGNORE_CERT_DATE_INVALID, 0x0004),
    C32(BG_SSL_IGNORE_UNKNOWN_CA, 0x0008),
    C32(BG_SSL_IGNORE_CERT_WRONG_USAGE, 0x0010),
    C32(BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, 0x0000),
    C32(BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 0x0100),
    C32(BG_HTTP_REDIRECT_POLICY_DISALLOW, 0x0200),
    C32(BG_HTTP_REDIRECT_POLICY_MASK, 0x0700),
    C32(BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP, 0x0800),
    /* peer caching, per job and machine-wide */
    C32(BG_JOB_ENABLE_PEERCACHING_CLIENT, 0x0001),
    C32(BG_JOB_ENABLE_PEERCACHING_SERVER, 0x0002),
    C32(BG_JOB_DISABLE_BRANCH_CACHE, 0x0004),
    C32(BG_ENABLE_PEERCACHING_CLIENT, 0x0001),
    C32(BG_ENABLE_PEERCACHING_SERVER, 0x0002),
    C32(BG_DISABLE_BRANCH_CACHE, 0x0004),
    /* helper tokens */
    C32(BG_TOKEN_LOCAL_FILE, 0x0001),
    C32(BG_TOKEN_NETWORK, 0x0002),
    /* cost states */
    C32(BITS_COST_STATE_UNRESTRICTED, 0x00000001),
    C32(BITS_COST_STATE_CAPPED_USAGE_UNKNOWN, 0x00000002),
    C32(BITS_COST_STATE_BELOW_CAP, 0x00000004),
    C32(BITS_COST_STATE_NEAR_CAP, 0x00000008),
    C32(BITS_COST_STATE_OVERCAP_CHARGED, 0x00000010),
    C32(BITS_COST_STATE_OVERCAP_THROTTLED, 0x00000020),
    C32(BITS_COST_STATE_USAGE_BASED, 0x00000040),
    C32(BITS_COST_STATE_ROAMING, 0x00000080),
    C32(BITS_COST_STATE_RESERVED, 0x40000000),
    C32(BITS_COST_OPTION_IGNORE_CONGESTION, 0x80000000),
    C32(BITS_COST_STATE_TRANSFER_ALWAYS, 0x800000ff),
    C32(BITS_COST_STATE_TRANSFER_NOT_ROAMING, 0x8000007f),
    C32(BITS_COST_STATE_TRANSFER_NO_SURCHARGE, 0x8000006f),
    C32(BITS_COST_STATE_TRANSFER_STANDARD, 0x80000067),
    C32(BITS_COST_STATE_TRANSFER_UNRESTRICTED, 0x80000021),
    /* bitsmsg.h: every code of behavior.md 17.1-17.4 */
    C32(BG_S_ERROR_CONTEXT_NONE, 0x00200006),
    C32(BG_S_PARTIAL_COMPLETE, 0x00200017),
    C32(BG_S_UNABLE_TO_DELETE_FILES, 0x0020001A),
    C32(BG_S_PROXY_CHANGED, 0x0020002A),
    C32(BG_S_OVERRIDDEN_BY_POLICY, 0x00200055),
    C32(BG_E_NOT_FOUND, 0x80200001),
    C32(BG_E_INVALID_STATE, 0x80200002),
    C32(BG_E_EMPTY, 0x80200003),
    C32(BG_E_FILE_NOT_AVAILABLE, 0x80200004),
    C32(BG_E_PROTOCOL_NOT_AVAILABLE, 0x80200005),
    C32(BG_E_ERROR_CONTEXT_UNKNOWN, 0x80200007),
    C32(BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, 0x80200008),
    C32(BG_E_ERROR_CONTEXT_LOCAL_FILE, 0x80200009),
    C32(BG_E_ERROR_CONTEXT_REMOTE_FILE, 0x8020000A),
    C32(BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT, 0x8020000B),
    C32(BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION, 0x8020000C),
    C32(BG_E_DESTINATION_LOCKED, 0x8020000D),
    C32(BG_E_VOLUME_CHANGED, 0x8020000E),
    C32(BG_E_ERROR_INFORMATION_UNAVAILABLE, 0x8020000F),
    C32(BG_E_NETWORK_DISCONNECTED, 0x80200010),
    C32(BG_E_MISSING_FILE_SIZE, 0x80200011),
    C32(BG_E_INSUFFICIENT_HTTP_SUPPORT, 0x80200012),
    C32(BG_E_INSUFFICIENT_RANGE_SUPPORT, 0x80200013),
    C32(BG_E_REMOTE_NOT_SUPPORTED, 0x80200014),
    C32(BG_E_NEW_OWNER_DIFF_MAPPING, 0x80200015),
    C32(BG_E_NEW_OWNER_NO_FILE_ACCESS, 0x80200016),
    C32(BG_E_PROXY_LIST_TOO_LARGE, 0x80200018),
    C32(BG_E_PROXY_BYPASS_LIST_TOO_LARGE, 0x80200019),
    C32(BG_E_INVALID_SERVER_RESPONSE, 0x8020001B),
    C32(BG_E_TOO_MANY_FILES, 0x8020001C),
    C32(BG_E_LOCAL_FILE_CHANGED, 0x8020001D),
    C32(BG_E_ERROR_CONTEXT_REMOTE_APPLICATION, 0x8020001E),
    C32(BG_E_SESSION_NOT_FOUND, 0x8020001F),
    C32(BG_E_TOO_LARGE, 0x80200020),
    C32(BG_E_STRING_TOO_LONG, 0x80200021),
    C32(BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH, 0x80200022),
    C32(BG_E_SERVER_EXECUTE_ENABLE, 0x80200023),
    C32(BG_E_NO_PROGRESS, 0x80200024),
    C32(BG_E_USERNAME_TOO_LARGE, 0x80200025),
    C32(BG_E_PASSWORD_TOO_LARGE, 0x80200026),
    C32(BG_E_INVALID_AUTH_TARGET, 0x80200027),
    C32(BG_E_INVALID_AUTH_SCHEME, 0x80200028),
    C32(BG_E_FILE_NOT_FOUND, 0x80200029),
    C32(BG_E_INVALID_RANGE, 0x8020002B),
    C32(BG_E_OVERLAPPING_RANGES, 0x8020002C),
    C32(BG_E_CONNECT_FAILURE, 0x8020002D),
    C32(BG_E_CONNECTION_CLOSED, 0x8020002E),
    C32(BG_E_BLOCKED_BY_POLICY, 0x8020003E),
    C32(BG_E_INVALID_PROXY_INFO, 0x8020003F),
    C32(BG_E_INVALID_CREDENTIALS, 0x80200040),
    C32(BG_E_INVALID_HASH_ALGORITHM, 0x80200041),
    C32(BG_E_RECORD_DELETED, 0x80200042),
    C32(BG_E_COMMIT_IN_PROGRESS, 0x80200043),
    C32(BG_E_DISCOVERY_IN_PROGRESS, 0x80200044),
    C32(BG_E_UPNP_ERROR, 0x80200045),
    C32(BG_E_TEST_OPTION_BLOCKED_DOWNLOAD, 0x80200046),
    C32(BG_E_PEERCACHING_DISABLED, 0x80200047),
    C32(BG_E_BUSYCACHERECORD, 0x80200048),
    C32(BG_E_TOO_MANY_JOBS_PER_USER, 0x80200049),
    C32(BG_E_TOO_MANY_JOBS_PER_MACHINE, 0x80200050),
    C32(BG_E_TOO_MANY_FILES_IN_JOB, 0x80200051),
    C32(BG_E_TOO_MANY_RANGES_IN_FILE, 0x80200052),
    C32(BG_E_VALIDATION_FAILED, 0x80200053),
    C32(BG_E_MAXDOWNLOAD_TIMEOUT, 0x80200054),
    C32(BG_E_TOKEN_REQUIRED, 0x80200056),
    C32(BG_E_UNKNOWN_PROPERTY_ID, 0x80200057),
    C32(BG_E_READ_ONLY_PROPERTY, 0x80200058),
    C32(BG_E_BLOCKED_BY_COST_TRANSFER_POLICY, 0x80200059),
    C32(BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY, 0x80200060),
    C32(BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE, 0x80200061),
    C32(BG_E_READ_ONLY_PROPERTY_AFTER_RESUME, 0x80200062),
    C32(BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, 0x80200063),
    C32(BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, 0x80200064),
    C32(BG_E_STANDBY_MODE, 0x80200065),
    C32(BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED, 0x80200066),
    C32(BG_E_BLOCKED_BY_BATTERY_POLICY, 0x80200067),
    C32(BG_E_BLOCKED_BY_BATTERY_SAVER, 0x80200068),
    C32(BG_E_WATCHDOG_TIMEOUT, 0x80200069),
    C32(BG_E_APP_PACKAGE_NOT_FOUND, 0x8020006A),
    C32(BG_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED, 0x8020006B),
    C32(BG_E_DATABASE_CORRUPT, 0x8020006C),
    C32(BG_E_RANDOM_ACCESS_NOT_SUPPORTED, 0x8020006D),
    C32(BG_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY, 0x8020006E),
    C32(BG_E_BLOCKED_BY_GAME_MODE, 0x8020006F),
    C32(BG_E_BLOCKED_BY_SYSTEM_POLICY, 0x80200070),
    C32(BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD, 0x80200071),
    C32(BG_E_UNSUPPORTED_JOB_CONFIGURATION, 0x80200072),
    C32(BG_E_REMOTE_FILE_CHANGED, 0x80200073),
    C32(BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, 0x80200074),
    C32(BG_E_READ_ONLY_WHEN_JOB_ACTIVE, 0x80200075),
    C32(BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, 0x80200076),
    C32(BG_E_SERVER_EXECUTE_ENABLED, 0x80200023),  /* documentation spelling, alias */
    C32(BG_E_HTTP_ERROR_100, 0x80190064),
    C32(BG_E_HTTP_ERROR_101, 0x80190065),
    C32(BG_E_HTTP_ERROR_200, 0x801900C8),
    C32(BG_E_HTTP_ERROR_201, 0x801900C9),
    C32(BG_E_HTTP_ERROR_202, 0x801900CA),
    C32(BG_E_HTTP_ERROR_203, 0x801900CB),
    C32(BG_E_HTTP_ERROR_204, 0x801900CC),
    C32(BG_E_HTTP_ERROR_205, 0x801900CD),
    C32(BG_E_HTTP_ERROR_206, 0x801900CE),
    C32(BG_E_HTTP_ERROR_300, 0x8019012C),
    C32(BG_E_HTTP_ERROR_301, 0x8019012D),
    C32(BG_E_HTTP_ERROR_302, 0x8019012E),
    C32(BG_E_HTTP_ERROR_303, 0x8019012F),
    C32(BG_E_HTTP_ERROR_304, 0x80190130),
    C32(BG_E_HTTP_ERROR_305, 0x80190131),
    C32(BG_E_HTTP_ERROR_307, 0x80190133),
    C32(BG_E_HTTP_ERROR_400, 0x80190190),
    C32(BG_E_HTTP_ERROR_401, 0x80190191),
    C32(BG_E_HTTP_ERROR_402, 0x80190192),
    C32(BG_E_HTTP_ERROR_403, 0x80190193),
    C32(BG_E_HTTP_ERROR_404, 0x80190194),
    C32(BG_E_HTTP_ERROR_405, 0x80190195),
    C32(BG_E_HTTP_ERROR_406, 0x80190196),
    C32(BG_E_HTTP_ERROR_407, 0x80190197),
    C32(BG_E_HTTP_ERROR_408, 0x80190198),
    C32(BG_E_HTTP_ERROR_409, 0x80190199),
    C32(BG_E_HTTP_ERROR_410, 0x8019019A),
    C32(BG_E_HTTP_ERROR_411, 0x8019019B),
    C32(BG_E_HTTP_ERROR_412, 0x8019019C),
    C32(BG_E_HTTP_ERROR_413, 0x8019019D),
    C32(BG_E_HTTP_ERROR_414, 0x8019019E),
    C32(BG_E_HTTP_ERROR_415, 0x8019019F),
    C32(BG_E_HTTP_ERROR_416, 0x801901A0),
    C32(BG_E_HTTP_ERROR_417, 0x801901A1),
    C32(BG_E_HTTP_ERROR_449, 0x801901C1),
    C32(BG_E_HTTP_ERROR_500, 0x801901F4),
    C32(BG_E_HTTP_ERROR_501, 0x801901F5),
    C32(BG_E_HTTP_ERROR_502, 0x801901F6),
    C32(BG_E_HTTP_ERROR_503, 0x801901F7),
    C32(BG_E_HTTP_ERROR_504, 0x801901F8),
    C32(BG_E_HTTP_ERROR_505, 0x801901F9),
    C32(BITS_MC_JOB_CANCELLED, 0x80194000),
    C32(BITS_MC_FILE_DELETION_FAILED, 0x80194001),
    C32(BITS_MC_FILE_DELETION_FAILED_MORE, 0x80194002),
    C32(BITS_MC_JOB_PROPERTY_CHANGE, 0x80194003),
    C32(BITS_MC_JOB_TAKE_OWNERSHIP, 0x80194004),
    C32(BITS_MC_JOB_SCAVENGED, 0x80194005),
    C32(BITS_MC_JOB_NOTIFICATION_FAILURE, 0x80194006),
    C32(BITS_MC_STATE_FILE_CORRUPT, 0x80194007),
    C32(BITS_MC_FAILED_TO_START, 0x80194008),
    C32(BITS_MC_FATAL_IGD_ERROR, 0x80194009),
    C32(BITS_MC_PEERCACHING_PORT, 0x8019400A),
    C32(BITS_MC_WSD_PORT, 0x8019400B),
};

/* ------------------------------------------------------------------------
 * Helpers
 */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}". */
static BOOL parse_guid(const char *str, GUID *guid)
{
    static const unsigned int groups[] = { 8, 4, 4, 4, 12 };
    unsigned char bytes[16];
    unsigned int n = 0, g, i;

    if (strlen(str) != 38 || str[0] != '{' || str[37] != '}') return FALSE;
    str++;
    for (g = 0; g < ARRAY_SIZE(groups); g++)
    {
        for (i = 0; i < groups[g]; i += 2)
        {
            int hi = hexval(str[i]), lo = hexval(str[i + 1]);
            if (hi < 0 || lo < 0) return FALSE;
            bytes[n++] = hi << 4 | lo;
        }
        str += groups[g];
        if (g < ARRAY_SIZE(groups) - 1 && *str++ != '-') return FALSE;
    }
    guid->Data1 = (ULONG)bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3];
    guid->Data2 = bytes[4] << 8 | bytes[5];
    guid->Data3 = bytes[6] << 8 | bytes[7];
    memcpy(guid->Data4, bytes + 8, 8);
    return TRUE;
}

static const struct slot_check *find_slot(const char *iface, const char *method)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(slots); i++)
        if (!strcmp(slots[i].iface, iface) && !strcmp(slots[i].method, method)) return &slots[i];
    return NULL;
}

static const struct vtbl_check *find_vtbl(const char *iface)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(vtbls); i++)
        if (!strcmp(vtbls[i].iface, iface)) return &vtbls[i];
    return NULL;
}

static const struct guid_check *find_guid(const char *name)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(guids); i++)
        if (!strcmp(guids[i].name, name)) return &guids[i];
    return NULL;
}

static const struct layout_check *find_layout(const char *type, const char *member)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(layouts); i++)
    {
        if (strcmp(layouts[i].type, type)) continue;
        if (!member && !layouts[i].member) return &layouts[i];
        if (member && layouts[i].member && !strcmp(layouts[i].member, member)) return &layouts[i];
    }
    return NULL;
}

static const struct const_check *find_const(const char *name)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(consts); i++)
        if (!strcmp(consts[i].name, name)) return &consts[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Our headers against the specification
 */

static void test_vtable_slots(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(slots); i++)
        ok(slots[i].ours == slots[i].expected, "%s::%s is in slot %u, expected %u\n",
           slots[i].iface, slots[i].method, slots[i].ours, slots[i].expected);

    /* the examples spelled out in the brief and in interfaces.md section 15 */
    ok(offsetof(IBackgroundCopyJob5Vtbl, AddFileSet) / sizeof(void *) == 3, "Job5 AddFileSet\n");
    ok(offsetof(IBackgroundCopyJob5Vtbl, SetProperty) / sizeof(void *) == 53, "Job5 SetProperty\n");
    ok(offsetof(IBackgroundCopyErrorVtbl, GetFile) / sizeof(void *) == 4, "Error GetFile\n");
    ok(offsetof(IBitsTokenOptionsVtbl, SetHelperToken) / sizeof(void *) == 5, "SetHelperToken\n");
}

static void test_vtable_sizes(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(vtbls); i++)
        ok(vtbls[i].ours == vtbls[i].expected, "%sVtbl has %u entries, expected %u\n",
           vtbls[i].iface, vtbls[i].ours, vtbls[i].expected);
}

static void test_guids(void)
{
    unsigned int i, j;
    GUID expected;

    for (i = 0; i < ARRAY_SIZE(guids); i++)
    {
        ok(parse_guid(guids[i].expected, &expected), "bad GUID string %s\n", guids[i].expected);
        ok(!memcmp(guids[i].ours, &expected, sizeof(GUID)), "%s is %s, expected %s\n",
           guids[i].name, wine_dbgstr_guid(guids[i].ours), guids[i].expected);
    }

    /* no two of them may be equal */
    for (i = 0; i < ARRAY_SIZE(guids); i++)
        for (j = i + 1; j < ARRAY_SIZE(guids); j++)
            ok(memcmp(guids[i].ours, guids[j].ours, sizeof(GUID)), "%s and %s are equal\n",
               guids[i].name, guids[j].name);
}

static void test_layouts(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(layouts); i++)
    {
        if (layouts[i].member)
        {
            ok(layouts[i].ours == layouts[i].expected, "offsetof(%s, %s) is %u, expected %u\n",
               layouts[i].type, layouts[i].member, layouts[i].ours, layouts[i].expected);
            ok(layouts[i].ours_size == layouts[i].expected_size, "%s.%s has %u bytes, expected %u\n",
               layouts[i].type, layouts[i].member, layouts[i].ours_size, layouts[i].expected_size);
        }
        else
            ok(layouts[i].ours == layouts[i].expected, "sizeof(%s) is %u, expected %u\n",
               layouts[i].type, layouts[i].ours, layouts[i].expected);
    }

    /* the union is passed by value: 16 bytes, 8-byte aligned (the UINT64 member) */
    ok(TYPE_ALIGNMENT(BITS_JOB_PROPERTY_VALUE) == 8, "BITS_JOB_PROPERTY_VALUE alignment %u\n",
       (unsigned int)TYPE_ALIGNMENT(BITS_JOB_PROPERTY_VALUE));
    ok(TYPE_ALIGNMENT(BG_FILE_RANGE) == 8, "BG_FILE_RANGE alignment %u\n",
       (unsigned int)TYPE_ALIGNMENT(BG_FILE_RANGE));
    ok(sizeof(BG_SIZE_UNKNOWN) == 8, "BG_SIZE_UNKNOWN has %u bytes\n", (unsigned int)sizeof(BG_SIZE_UNKNOWN));
    ok(sizeof(BG_LENGTH_TO_EOF) == 8, "BG_LENGTH_TO_EOF has %u bytes\n", (unsigned int)sizeof(BG_LENGTH_TO_EOF));
}

static void test_constants(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(consts); i++)
        ok(consts[i].ours == consts[i].expected, "%s is 0x%s, expected 0x%s\n", consts[i].name,
           wine_dbgstr_longlong(consts[i].ours), wine_dbgstr_longlong(consts[i].expected));
}

static void test_status_code_types(void)
{
    /* the codes are HRESULTs: FAILED()/SUCCEEDED() and comparisons with an HRESULT work */
    HRESULT hr = BG_E_NOT_FOUND;

    ok(sizeof(BG_E_NOT_FOUND) == sizeof(HRESULT), "BG_E_NOT_FOUND has %u bytes\n",
       (unsigned int)sizeof(BG_E_NOT_FOUND));
    ok(hr == BG_E_NOT_FOUND, "comparison with an HRESULT failed\n");
    ok(FAILED(BG_E_NOT_FOUND), "BG_E_NOT_FOUND is not a failure\n");
    ok(FAILED(BG_E_HTTP_ERROR_404), "BG_E_HTTP_ERROR_404 is not a failure\n");
    ok(FAILED(BITS_MC_JOB_CANCELLED), "BITS_MC_JOB_CANCELLED is not a failure code\n");
    ok(SUCCEEDED(BG_S_PARTIAL_COMPLETE), "BG_S_PARTIAL_COMPLETE is not a success\n");
    ok(SUCCEEDED(BG_S_UNABLE_TO_DELETE_FILES), "BG_S_UNABLE_TO_DELETE_FILES is not a success\n");
    ok(HRESULT_FACILITY(BG_E_INVALID_STATE) == 0x20, "facility %#lx\n",
       (unsigned long)HRESULT_FACILITY(BG_E_INVALID_STATE));
    ok(HRESULT_FACILITY(BG_E_HTTP_ERROR_500) == 0x19, "facility %#lx\n",
       (unsigned long)HRESULT_FACILITY(BG_E_HTTP_ERROR_500));
}

/* The SDK's enumerations have tags of their own names ("typedef enum
 * BG_JOB_STATE {...} BG_JOB_STATE"): code that says "enum BG_JOB_STATE"
 * compiles, and C++ mangles the types by these names. */
static void test_enum_tags(void)
{
    enum BG_ERROR_CONTEXT context = BG_ERROR_CONTEXT_NONE;
    enum BG_JOB_PRIORITY priority = BG_JOB_PRIORITY_FOREGROUND;
    enum BG_JOB_STATE state = BG_JOB_STATE_QUEUED;
    enum BG_JOB_TYPE type = BG_JOB_TYPE_DOWNLOAD;
    enum BG_JOB_PROXY_USAGE usage = BG_JOB_PROXY_USAGE_PRECONFIG;
    enum BG_AUTH_TARGET target = BG_AUTH_TARGET_SERVER;
    enum BG_AUTH_SCHEME scheme = BG_AUTH_SCHEME_BASIC;
    enum BG_CERT_STORE_LOCATION location = BG_CERT_STORE_LOCATION_CURRENT_USER;
    BG_JOB_STATE typedef_state = state;

    ok(sizeof(enum BG_JOB_STATE) == sizeof(BG_JOB_STATE), "the tag and the typedef differ\n");
    ok(typedef_state == BG_JOB_STATE_QUEUED && !context && !priority && !type && !usage && target == 1 &&
       scheme == 1 && !location, "unexpected values\n");
}

/* ------------------------------------------------------------------------
 * Our headers against mingw-w64's
 */

/* mingw-w64 names that the SDK's bitsmsg.h does not have: behavior.md 17.2
 * lists 0x8020002F-0x8020003D as undefined, mingw-w64 gives them names. */
static BOOL mingw_only_code(const struct abi_const *c)
{
    return c->value >= 0x8020002f && c->value <= 0x8020003d && !strncmp(c->name, "BG_E_", 5);
}

static void test_mingw_slots(void)
{
    const struct slot_check *our;
    unsigned int i;

    for (i = 0; i < mingw_slot_count; i++)
    {
        const struct abi_slot *m = &mingw_slots[i];

        our = find_slot(m->iface, m->method);
        ok(our != NULL, "mingw-w64 declares %s::%s, our table does not have it\n", m->iface, m->method);
        if (!our) continue;
        ok(our->ours == m->slot, "%s::%s: ours in slot %u, mingw-w64's in slot %u\n",
           m->iface, m->method, our->ours, m->slot);
    }
    for (i = 0; i < mingw_vtbl_size_count; i++)
    {
        const struct abi_vtbl_size *m = &mingw_vtbl_sizes[i];
        const struct vtbl_check *v = find_vtbl(m->iface);

        ok(v != NULL, "mingw-w64 declares %s, our table does not have it\n", m->iface);
        if (!v) continue;
        ok(v->ours == m->entries, "%sVtbl: ours has %u entries, mingw-w64's %u\n",
           m->iface, v->ours, m->entries);
    }
}

static void test_mingw_guids(void)
{
    unsigned int i;

    for (i = 0; i < mingw_guid_count; i++)
    {
        const struct abi_guid *m = mingw_guids[i];
        const struct guid_check *our = find_guid(m->name);
        GUID guid;

        ok(our != NULL, "mingw-w64 declares %s, our table does not have it\n", m->name);
        if (!our) continue;
        guid.Data1 = m->data1;
        guid.Data2 = m->data2;
        guid.Data3 = m->data3;
        memcpy(guid.Data4, m->data4, sizeof(guid.Data4));
        ok(!memcmp(our->ours, &guid, sizeof(GUID)), "%s: ours %s, mingw-w64's %s\n",
           m->name, wine_dbgstr_guid(our->ours), wine_dbgstr_guid(&guid));
    }
}

static void test_mingw_layouts(void)
{
    unsigned int i;

    ok(mingw_pointer_size == sizeof(void *), "abi_mingw.c was built for %u-byte pointers, abi.c for %u\n",
       mingw_pointer_size, (unsigned int)sizeof(void *));
    for (i = 0; i < mingw_layout_count; i++)
    {
        const struct abi_layout *m = &mingw_layouts[i];
        const struct layout_check *our = find_layout(m->type, m->member);

        ok(our != NULL, "mingw-w64 declares %s%s%s, our table does not have it\n",
           m->type, m->member ? "." : "", m->member ? m->member : "");
        if (!our) continue;
        ok(our->ours == m->value, "%s(%s%s%s): ours %u, mingw-w64's %u\n",
           m->member ? "offsetof" : "sizeof", m->type, m->member ? ", " : "",
           m->member ? m->member : "", our->ours, m->value);
        if (m->member)
            ok(our->ours_size == m->member_size, "%s.%s: ours has %u bytes, mingw-w64's %u\n",
               m->type, m->member, our->ours_size, m->member_size);
    }
}

static void test_mingw_constants(void)
{
    unsigned int i, extra = 0;

    for (i = 0; i < mingw_const_count; i++)
    {
        const struct abi_const *m = &mingw_consts[i];
        const struct const_check *our = find_const(m->name);

        if (!our && mingw_only_code(m))
        {
            /* Not an ABI conflict: the number is unused in the SDK.  Keep it visible. */
            if (winetest_debug > 1)
                trace("mingw-w64 defines %s = 0x%s, which the SDK leaves undefined\n",
                      m->name, wine_dbgstr_longlong(m->value));
            extra++;
            continue;
        }
        ok(our != NULL, "mingw-w64 defines %s = 0x%s, our headers do not\n",
           m->name, wine_dbgstr_longlong(m->value));
        if (!our) continue;
        ok(our->ours == m->value, "%s: ours 0x%s, mingw-w64's 0x%s\n", m->name,
           wine_dbgstr_longlong(our->ours), wine_dbgstr_longlong(m->value));
    }
    /* behavior.md 17.2: 0x8020002F-0x8020003D are gaps; mingw-w64 names all 15 of them */
    ok(extra == 15, "%u mingw-w64-only codes\n", extra);
    trace("mingw-w64's bitsmsg.h names %u codes in 0x8020002F-0x8020003D that the SDK does not define\n",
          extra);
}

START_TEST(abi)
{
    test_vtable_slots();
    test_vtable_sizes();
    test_guids();
    test_layouts();
    test_constants();
    test_status_code_types();

    test_mingw_slots();
    test_mingw_guids();
    test_mingw_layouts();
    test_mingw_constants();
    test_enum_tags();
}

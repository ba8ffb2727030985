/*
 * test_pol_gpreport.c: the parsed registry.pol of three real GPOs against
 * the report Windows' Group Policy Management Console wrote for each
 * (testdata/pol/expected/NAME_gpreport.xml, UTF-16LE, read with libxml2).
 *
 * What the reports hold. Their Registry extension lists Administrative
 * Template policies only: the policy's name, category and state
 * (Enabled/Disabled) and, per option of the policy, the option's label,
 * its state and its value as the user sees it (a number, a text, the
 * label of a drop-down item, the lines of a multi-line text, the
 * name/data pairs of a list). None of the three has an "Extra Registry
 * Settings" (RegistrySetting) section, so for no setting does a report
 * give a registry key, a value name or a value type, nor the value a
 * drop-down label or a state stands for.
 *
 * So the comparison needs the ADMX definitions that GPMC itself used to
 * render the report: admx[] below transcribes, for every policy the three
 * reports list, the key, value name and type each policy and option
 * writes and the data each state or drop-down label stands for
 * (enabledValue/disabledValue, trueValue/falseValue, enum items;
 * "deletes" where the ADMX gives no value and GPMC writes **del.NAME).
 * Data that the report states literally (numbers, texts, list pairs,
 * multi-line texts) is taken from the report, not from the table.
 *
 * Checked, for each report:
 * - every policy of the report has a row, and every option of a policy
 *   in the report is covered by the row;
 * - every value a row derives from the report is in the .pol, with that
 *   type and data (compared as pol_entry_format shows it);
 * - every entry of the .pol is accounted for by some policy of the
 *   report, except those listed in unlisted[] (in the .pol, not in the
 *   report);
 * - options the report shows as NotConfigured state no value: only the
 *   key, value name and type are checked.
 * Not compared: the Security and Advanced Audit extensions of the same
 * reports (security options, user rights, audit policy live in
 * GptTmpl.inf and audit.csv, not in registry.pol).
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

#define NS_REGISTRY	"http://www.microsoft.com/GroupPolicy/Settings/Registry"

/*
 * The ADMX table. map says how the report's words become data:
 *   "Enabled=1|Disabled=0"	the state (of the policy, or of the option
 *				named by elem), or a drop-down item's label
 *   "...=-"			that state deletes the value (**del.NAME)
 *   "#"			a Numeric option: its value, decimal
 *   "$"			an EditText option: its text
 *   "*"			a MultiText option: its lines
 *   "list"			a ListBox option: each name/data pair is a
 *				value (name NULL in the row)
 *   NULL			an option that writes nothing the .pol shows
 */
struct admx_val {
	const char	*key;
	const char	*name;
	uint32_t	 type;
	const char	*elem;		/* NULL: the policy's own state */
	const char	*map;
};
#define ADMX_MAXV	8
struct admx_policy {
	const char	*category;
	const char	*name;
	struct admx_val	 v[ADMX_MAXV];
};

#define DW	HIVE_REG_DWORD
#define SZ	HIVE_REG_SZ
#define MSZ	HIVE_REG_MULTI_SZ
#define ON1	"Enabled=1|Disabled=0"
#define ON0	"Enabled=0|Disabled=1"
#define SPM	"Software\\Policies\\Microsoft\\"
#define SPMW	SPM "Windows\\"
#define SPMWNT	SPM "Windows NT\\"
#define TS	SPMWNT "Terminal Services"
#define SMWP	"Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\"
#define CCS	"System\\CurrentControlSet\\"
#define IPSR	"No additional protection, source routed packets are " \
		"allowed=0|Medium, source routed packets ignored when IP " \
		"forwarding is enabled=1|Highest protection, source routing " \
		"is completely disabled=2"
#define RUNAS(ext) { "Software\\Classes\\" ext "file\\shell\\runasuser", \
		"SuppressionPolicy", DW, NULL, "Enabled=4096|Disabled=0" }
#define RUNAS_ALL { RUNAS("bat"), RUNAS("cmd"), RUNAS("exe"), RUNAS("msc") }
#define EDGE_PF	SPM "MicrosoftEdge\\PhishingFilter"
#define FVE	SPM "FVE"
#define WCP	"Windows Components/"
#define DEFENDER SPM "Windows Defender\\"
#define GP_REG	SPMW "Group Policy\\{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
#define SLEEP	SPM "Power\\PowerSettings\\0e796bdb-100d-47d6-a2d5-f7d2daa51f51"

static const struct admx_policy admx[] = {
	/* Machine */
	{ "Control Panel/Personalization",
	  "Prevent enabling lock screen camera",
	  { { SPMW "Personalization", "NoLockScreenCamera", DW, NULL, ON1 } } },
	{ "Control Panel/Personalization",
	  "Prevent enabling lock screen slide show",
	  { { SPMW "Personalization", "NoLockScreenSlideshow", DW, NULL,
	      ON1 } } },
	{ "MS Security Guide", "Configure SMB v1 client driver",
	  { { CCS "Services\\MrxSmb10", "Start", DW,
	      "Configure MrxSmb10 driver",
	      "Disable driver (recommended)=4" } } },
	{ "MS Security Guide", "Configure SMB v1 server",
	  { { CCS "Services\\LanmanServer\\Parameters", "SMB1", DW, NULL,
	      ON1 } } },
	{ "MS Security Guide",
	  "Enable Structured Exception Handling Overwrite Protection (SEHOP)",
	  { { CCS "Control\\Session Manager\\kernel",
	      "DisableExceptionChainValidation", DW, NULL, ON0 } } },
	{ "MS Security Guide",
	  "Remove \"Run As Different User\" from context menus", RUNAS_ALL },
	{ "SCM: Pass the Hash Mitigations",
	  "Remove \"Run As Different User\" from context menus", RUNAS_ALL },
	{ "MSS (Legacy)", "MSS: (DisableIPSourceRouting IPv6) IP source "
	  "routing protection level (protects against packet spoofing)",
	  { { CCS "Services\\Tcpip6\\Parameters", "DisableIPSourceRouting",
	      DW, "DisableIPSourceRoutingIPv6", IPSR } } },
	{ "MSS (Legacy)", "MSS: (DisableIPSourceRouting) IP source routing "
	  "protection level (protects against packet spoofing)",
	  { { CCS "Services\\Tcpip\\Parameters", "DisableIPSourceRouting",
	      DW, "DisableIPSourceRouting", IPSR } } },
	{ "MSS (Legacy)", "MSS: (EnableICMPRedirect) Allow ICMP redirects to "
	  "override OSPF generated routes",
	  { { CCS "Services\\Tcpip\\Parameters", "EnableICMPRedirect", DW,
	      NULL, ON1 } } },
	{ "MSS (Legacy)", "MSS: (NoNameReleaseOnDemand) Allow the computer to "
	  "ignore NetBIOS name release requests except from WINS servers",
	  { { CCS "Services\\Netbt\\Parameters", "NoNameReleaseOnDemand", DW,
	      NULL, ON1 } } },
	{ "Network/Lanman Workstation", "Enable insecure guest logons",
	  { { SPMW "LanmanWorkstation", "AllowInsecureGuestAuth", DW, NULL,
	      ON1 } } },
	{ "Network/Network Connections", "Prohibit use of Internet "
	  "Connection Sharing on your DNS domain network",
	  { { SPMW "Network Connections", "NC_ShowSharedAccessUI", DW, NULL,
	      ON0 } } },
	{ "Network/Network Provider", "Hardened UNC Paths",
	  { { SPMW "NetworkProvider\\HardenedPaths", NULL, SZ,
	      "Hardened UNC Paths:", "list" } } },
	{ "Network/SSL Configuration Settings", "ECC Curve Order",
	  { { SPM "Cryptography\\Configuration\\SSL\\00010002", "EccCurves",
	      MSZ, "ECC Curve Order:", "*" } } },
	{ "Network/Windows Connection Manager", "Prohibit connection to "
	  "non-domain networks when connected to domain authenticated "
	  "network",
	  { { SPMW "WcmSvc\\GroupPolicy", "fBlockNonDomain", DW, NULL,
	      ON1 } } },
	{ "Network/WLAN Service/WLAN Settings", "Allow Windows to "
	  "automatically connect to suggested open hotspots, to networks "
	  "shared by contacts, and to hotspots offering paid services",
	  { { "Software\\Microsoft\\WcmSvc\\wifinetworkmanager\\config",
	      "AutoConnectAllowedOEM", DW, NULL, ON1 } } },
	{ "SCM: Pass the Hash Mitigations",
	  "Apply UAC restrictions to local accounts on network logons",
	  { { SMWP "System", "LocalAccountTokenFilterPolicy", DW, NULL,
	      ON0 } } },
	{ "SCM: Pass the Hash Mitigations",
	  "WDigest Authentication (disabling may require KB2871997)",
	  { { CCS "Control\\SecurityProviders\\WDigest", "UseLogonCredential",
	      DW, NULL, ON1 } } },
	{ "System/Audit Process Creation",
	  "Include command line in process creation events",
	  { { SMWP "System\\Audit", "ProcessCreationIncludeCmdLine_Enabled",
	      DW, NULL, ON1 } } },
	{ "System/Credentials Delegation",
	  "Remote host allows delegation of non-exportable credentials",
	  { { SPMW "CredentialsDelegation", "AllowProtectedCreds", DW, NULL,
	      ON1 } } },
	{ "System/Device Guard", "Turn On Virtualization Based Security",
	  { { SPMW "DeviceGuard", "EnableVirtualizationBasedSecurity", DW,
	      NULL, ON1 },
	    { SPMW "DeviceGuard", "RequirePlatformSecurityFeatures", DW,
	      "Select Platform Security Level:",
	      "Secure Boot=1|Secure Boot and DMA Protection=3" },
	    { SPMW "DeviceGuard", "HypervisorEnforcedCodeIntegrity", DW,
	      "Virtualization Based Protection of Code Integrity:",
	      "Disabled=0|Enabled with UEFI lock=1|Enabled without lock=2|"
	      "Not Configured=3" },
	    { SPMW "DeviceGuard", "HVCIMATRequired", DW,
	      "Require UEFI Memory Attributes Table", ON1 },
	    { SPMW "DeviceGuard", "LsaCfgFlags", DW,
	      "Credential Guard Configuration:",
	      "Disabled=0|Enabled with UEFI lock=1|Enabled without lock=2" },
	    { SPMW "DeviceGuard", "ConfigureSystemGuardLaunch", DW,
	      "Secure Launch Configuration:",
	      "Not Configured=0|Enabled=1|Disabled=2" } } },
	{ "System/Early Launch Antimalware",
	  "Boot-Start Driver Initialization Policy",
	  { { CCS "Policies\\EarlyLaunch", "DriverLoadPolicy", DW,
	      "Choose the boot-start drivers that can be initialized:",
	      "Good only=8|Good and unknown=1|Good, unknown and bad but "
	      "critical=3|All=7" } } },
	{ "System/Group Policy", "Configure registry policy processing",
	  { { GP_REG, "NoBackgroundPolicy", DW,
	      "Do not apply during periodic background processing", ON1 },
	    { GP_REG, "NoGPOListChanges", DW,
	      "Process even if the Group Policy objects have not changed",
	      ON0 } } },
	{ "System/Internet Communication Management/Internet Communication "
	  "settings", "Turn off downloading of print drivers over HTTP",
	  { { SPMWNT "Printers", "DisableWebPnPDownload", DW, NULL, ON1 } } },
	{ "System/Internet Communication Management/Internet Communication "
	  "settings", "Turn off Internet download for Web publishing and "
	  "online ordering wizards",
	  { { SMWP "Explorer", "NoWebServices", DW, NULL, ON1 } } },
	{ "System/Internet Communication Management/Internet Communication "
	  "settings", "Turn off printing over HTTP",
	  { { SPMWNT "Printers", "DisableHTTPPrinting", DW, NULL, ON1 } } },
	{ "System/Kernel DMA Protection", "Enumeration policy for external "
	  "devices incompatible with Kernel DMA Protection",
	  { { SPMW "Kernel DMA Protection", "DeviceEnumerationPolicy", DW,
	      "Enumeration policy",
	      "Block all=0|Only after Windows Login=1|Allow all=2" } } },
	{ "System/Logon", "Do not display network selection UI",
	  { { SPMW "System", "DontDisplayNetworkSelectionUI", DW, NULL,
	      ON1 } } },
	{ "System/Logon", "Enumerate local users on domain-joined computers",
	  { { SPMW "System", "EnumerateLocalUsers", DW, NULL, ON1 } } },
	{ "System/Logon", "Turn on convenience PIN sign-in",
	  { { SPMW "System", "AllowDomainPINLogon", DW, NULL, ON1 } } },
	{ "System/Mitigation Options", "Untrusted Font Blocking",
	  { { SPMWNT "MitigationOptions", "MitigationOptions_FontBocking", SZ,
	      "Mitigation Options",
	      "Block untrusted fonts and log events=1000000000000|"
	      "Do not block untrusted fonts=2000000000000|"
	      "Log events without blocking untrusted fonts=3000000000000" } } },
	{ "System/PIN Complexity", "Minimum PIN length",
	  { { SPM "PassportForWork\\PINComplexity", "MinimumPINLength", DW,
	      "Minimum PIN length", "#" } } },
	{ "System/Power Management/Sleep Settings",
	  "Require a password when a computer wakes (on battery)",
	  { { SLEEP, "DCSettingIndex", DW, NULL, ON1 } } },
	{ "System/Power Management/Sleep Settings",
	  "Require a password when a computer wakes (plugged in)",
	  { { SLEEP, "ACSettingIndex", DW, NULL, ON1 } } },
	/* The ADMX's disabledList deletes the options' values. */
	{ "System/Remote Assistance", "Configure Solicited Remote Assistance",
	  { { TS, "fAllowToGetHelp", DW, NULL, ON1 },
	    { TS, "fAllowFullControl", DW, NULL, "Disabled=-" },
	    { TS, "MaxTicketExpiry", DW, NULL, "Disabled=-" },
	    { TS, "MaxTicketExpiryUnits", DW, NULL, "Disabled=-" },
	    { TS, "fUseMailto", DW, NULL, "Disabled=-" } } },
	{ "System/Remote Procedure Call", "Restrict Unauthenticated RPC "
	  "clients",
	  { { SPMWNT "Rpc", "RestrictRemoteClients", DW,
	      "RPC Runtime Unauthenticated Client Restriction to Apply:",
	      "None=0|Authenticated=1|Authenticated without exceptions=2" } } },
	{ WCP "App Privacy",
	  "Let Windows apps activate with voice while the system is locked",
	  { { SPMW "AppPrivacy", "LetAppsActivateWithVoiceAboveLock", DW,
	      "Default for all apps:",
	      "User is in control=0|Force Allow=1|Force Deny=2" } } },
	{ WCP "App runtime", "Allow Microsoft accounts to be optional",
	  { { SMWP "System", "MSAOptional", DW, NULL, ON1 } } },
	{ WCP "Application Compatibility", "Turn off Inventory Collector",
	  { { SPMW "AppCompat", "DisableInventory", DW, NULL, ON1 } } },
	{ WCP "AutoPlay Policies", "Disallow Autoplay for non-volume devices",
	  { { SPMW "Explorer", "NoAutoplayfornonVolume", DW, NULL, ON1 } } },
	{ WCP "AutoPlay Policies", "Set the default behavior for AutoRun",
	  { { SMWP "Explorer", "NoAutorun", DW, "Default AutoRun Behavior",
	      "Do not execute any autorun commands=1|"
	      "Automatically execute autorun commands=2" } } },
	{ WCP "AutoPlay Policies", "Turn off Autoplay",
	  { { SMWP "Explorer", "NoDriveTypeAutoRun", DW,
	      "Turn off Autoplay on:",
	      "CD-ROM and removable media drives=181|All drives=255" } } },
	{ WCP "Biometrics/Facial Features",
	  "Use enhanced anti-spoofing when available",
	  { { SPM "Biometrics\\FacialFeatures", "EnhancedAntiSpoofing", DW,
	      NULL, ON1 } } },
	{ WCP "Biometrics/Facial Features",
	  "Configure enhanced anti-spoofing",
	  { { SPM "Biometrics\\FacialFeatures", "EnhancedAntiSpoofing", DW,
	      NULL, ON1 } } },
	{ WCP "BitLocker Drive Encryption/Operating System Drives",
	  "Require additional authentication at startup",
	  { { FVE, "UseAdvancedStartup", DW, NULL, ON1 },
	    { FVE, "EnableBDEWithNoTPM", DW, "Allow BitLocker without a "
	      "compatible TPM (requires a password or a startup key on a USB "
	      "flash drive)", ON1 },
	    { FVE, "UseTPM", DW, "Configure TPM startup:",
	      "Do not allow TPM=0|Require TPM=1|Allow TPM=2" },
	    { FVE, "UseTPMPIN", DW, "Configure TPM startup PIN:",
	      "Do not allow startup PIN with TPM=0|"
	      "Require startup PIN with TPM=1|Allow startup PIN with TPM=2" },
	    { FVE, "UseTPMKey", DW, "Configure TPM startup key:",
	      "Do not allow startup key with TPM=0|"
	      "Require startup key with TPM=1|Allow startup key with TPM=2" },
	    { FVE, "UseTPMKeyPIN", DW, "Configure TPM startup key and PIN:",
	      "Do not allow startup key and PIN with TPM=0|"
	      "Require startup key and PIN with TPM=1|"
	      "Allow startup key and PIN with TPM=2" } } },
	{ WCP "Cloud Content", "Turn off Microsoft consumer experiences",
	  { { SPMW "CloudContent", "DisableWindowsConsumerFeatures", DW, NULL,
	      ON1 } } },
	{ WCP "Credential User Interface",
	  "Enumerate administrator accounts on elevation",
	  { { SMWP "CredUI", "EnumerateAdministrators", DW, NULL, ON1 } } },
	{ WCP "Data Collection and Preview Builds", "Allow Telemetry",
	  { { SPMW "DataCollection", "AllowTelemetry", DW, "",
	      "0 - Security [Enterprise Only]=0|1 - Basic=1|2 - Enhanced=2|"
	      "3 - Full=3" } } },
	/* Labels changed between ADMX versions: "Group" in the 2016 NSA
	 * report, "Group (2)" in the later DoD one. */
	{ WCP "Delivery Optimization", "Download Mode",
	  { { SPMW "DeliveryOptimization", "DODownloadMode", DW,
	      "Download Mode:", "LAN=1|Group=2|Internet=3|LAN (1)=1|"
	      "Group (2)=2|Internet (3)=3" } } },
	{ WCP "Event Log Service/Application",
	  "Specify the maximum log file size (KB)",
	  { { SPMW "EventLog\\Application", "MaxSize", DW,
	      "Maximum Log Size (KB)", "#" } } },
	{ WCP "Event Log Service/Security",
	  "Specify the maximum log file size (KB)",
	  { { SPMW "EventLog\\Security", "MaxSize", DW,
	      "Maximum Log Size (KB)", "#" } } },
	{ WCP "Event Log Service/System",
	  "Specify the maximum log file size (KB)",
	  { { SPMW "EventLog\\System", "MaxSize", DW,
	      "Maximum Log Size (KB)", "#" } } },
	{ WCP "File Explorer", "Configure Windows SmartScreen",
	  { { SPMW "System", "EnableSmartScreen", DW, NULL, ON1 } } },
	{ WCP "Windows Defender SmartScreen/Explorer",
	  "Configure Windows Defender SmartScreen",
	  { { SPMW "System", "EnableSmartScreen", DW, NULL, ON1 },
	    { SPMW "System", "ShellSmartScreenLevel", SZ,
	      "Pick one of the following settings:",
	      "Warn and prevent bypass=Block|Warn=Warn" } } },
	{ WCP "Microsoft Edge", "Allow InPrivate browsing",
	  { { SPM "MicrosoftEdge\\Main", "AllowInPrivate", DW, NULL,
	      ON1 } } },
	{ WCP "Microsoft Edge", "Configure Password Manager",
	  { { SPM "MicrosoftEdge\\Main", "FormSuggest Passwords", SZ, NULL,
	      "Enabled=yes|Disabled=no" } } },
	{ WCP "Microsoft Edge", "Configure SmartScreen Filter",
	  { { EDGE_PF, "EnabledV9", DW, NULL, ON1 } } },
	{ WCP "Microsoft Edge", "Prevent bypassing SmartScreen prompts for "
	  "files",
	  { { EDGE_PF, "PreventOverrideAppRepUnknown", DW, NULL, ON1 } } },
	{ WCP "Microsoft Edge", "Prevent bypassing Windows Defender "
	  "SmartScreen prompts for files",
	  { { EDGE_PF, "PreventOverrideAppRepUnknown", DW, NULL, ON1 } } },
	{ WCP "Microsoft Edge", "Prevent bypassing SmartScreen prompts for "
	  "sites",
	  { { EDGE_PF, "PreventOverride", DW, NULL, ON1 } } },
	{ WCP "Microsoft Edge", "Prevent certificate error overrides",
	  { { SPM "MicrosoftEdge\\Internet Settings",
	      "PreventCertErrorOverrides", DW, NULL, ON1 } } },
	{ WCP "Windows Defender SmartScreen/Microsoft Edge",
	  "Configure Windows Defender SmartScreen",
	  { { EDGE_PF, "EnabledV9", DW, NULL, ON1 } } },
	{ WCP "Windows Defender SmartScreen/Microsoft Edge",
	  "Prevent bypassing Windows Defender SmartScreen prompts for sites",
	  { { EDGE_PF, "PreventOverride", DW, NULL, ON1 } } },
	/* MBAM's option writes the same FVE values as BitLocker's own
	 * policy; the drop-down left NotConfigured writes nothing. */
	{ WCP "MDOP MBAM (BitLocker Management)/Operating System Drive",
	  "Operating system drive encryption settings",
	  { { FVE, "EnableBDEWithNoTPM", DW, "Allow BitLocker without a "
	      "compatible TPM (requires a password)", ON1 },
	    { FVE, "MinimumPIN", DW, "Configure minimum PIN length for "
	      "startup", "#" },
	    { NULL, NULL, 0, "Select protector for operating system drive:",
	      NULL } } },
	{ WCP "OneDrive", "Prevent the usage of OneDrive for file storage",
	  { { SPMW "OneDrive", "DisableFileSyncNGSC", DW, NULL, ON1 } } },
	{ WCP "Remote Desktop Services/Remote Desktop Connection Client",
	  "Do not allow passwords to be saved",
	  { { TS, "DisablePasswordSaving", DW, NULL, ON1 } } },
	{ WCP "Remote Desktop Services/Remote Desktop Session Host/Device "
	  "and Resource Redirection", "Do not allow drive redirection",
	  { { TS, "fDisableCdm", DW, NULL, ON1 } } },
	{ WCP "Remote Desktop Services/Remote Desktop Session Host/Security",
	  "Always prompt for password upon connection",
	  { { TS, "fPromptForPassword", DW, NULL, ON1 } } },
	{ WCP "Remote Desktop Services/Remote Desktop Session Host/Security",
	  "Require secure RPC communication",
	  { { TS, "fEncryptRPCTraffic", DW, NULL, ON1 } } },
	{ WCP "Remote Desktop Services/Remote Desktop Session Host/Security",
	  "Set client connection encryption level",
	  { { TS, "MinEncryptionLevel", DW, "Encryption Level",
	      "Low Level=1|Client Compatible=2|High Level=3" } } },
	{ WCP "RSS Feeds", "Prevent downloading of enclosures",
	  { { SPM "Internet Explorer\\Feeds", "DisableEnclosureDownload", DW,
	      NULL, ON1 } } },
	{ WCP "Search", "Allow indexing of encrypted files",
	  { { SPMW "Windows Search", "AllowIndexingEncryptedStoresOrItems", DW,
	      NULL, ON1 } } },
	{ WCP "Windows Defender/MAPS", "Configure local setting override for "
	  "reporting to Microsoft MAPS",
	  { { DEFENDER "Spynet", "LocalSettingOverrideSpynetReporting", DW,
	      NULL, ON1 } } },
	{ WCP "Windows Defender/MAPS", "Join Microsoft MAPS",
	  { { DEFENDER "Spynet", "SpynetReporting", DW, "Join Microsoft MAPS",
	      "Disabled=0|Basic MAPS=1|Advanced MAPS=2" } } },
	{ WCP "Windows Defender/MAPS",
	  "Send file samples when further analysis is required",
	  { { DEFENDER "Spynet", "SubmitSamplesConsent", DW,
	      "Send file samples when further analysis is required",
	      "Always prompt=0|Send safe samples=1|Never send=2|"
	      "Send all samples=3" } } },
	{ WCP "Windows Defender/Real-time Protection",
	  "Turn off real-time protection",
	  { { DEFENDER "Real-Time Protection", "DisableRealtimeMonitoring", DW,
	      NULL, ON1 } } },
	{ WCP "Windows Defender/Scan", "Scan removable drives",
	  { { DEFENDER "Scan", "DisableRemovableDriveScanning", DW, NULL,
	      ON0 } } },
	{ WCP "Windows Defender/Scan", "Turn on e-mail scanning",
	  { { DEFENDER "Scan", "DisableEmailScanning", DW, NULL, ON0 } } },
	{ WCP "Windows Defender/Signature Updates", "Define the number of "
	  "days before spyware definitions are considered out of date",
	  { { DEFENDER "Signature Updates", "ASSignatureDue", DW,
	      "Define the number of days before spyware definitions are "
	      "considered out of date", "#" } } },
	{ WCP "Windows Game Recording and Broadcasting",
	  "Enables or disables Windows Game Recording and Broadcasting",
	  { { SPMW "GameDVR", "AllowGameDVR", DW, NULL, ON1 } } },
	{ WCP "Windows Hello for Business", "Use a hardware security device",
	  { { SPM "PassportForWork", "RequireSecurityDevice", DW, NULL, ON1 },
	    { SPM "PassportForWork\\ExcludeSecurityDevices", "TPM12", DW,
	      "TPM 1.2", ON1 } } },
	{ WCP "Windows Hello for Business/PIN Complexity",
	  "Minimum PIN length",
	  { { SPM "PassportForWork\\PINComplexity", "MinimumPINLength", DW,
	      "Minimum PIN length", "#" } } },
	{ WCP "Windows Ink Workspace", "Allow Windows Ink Workspace",
	  { { SPM "WindowsInkWorkspace", "AllowWindowsInkWorkspace", DW,
	      "Choose one of the following actions",
	      "Disabled=0|On, but disallow access above lock=1|On=2" } } },
	{ WCP "Windows Installer", "Allow user control over installs",
	  { { SPMW "Installer", "EnableUserControl", DW, NULL, ON1 } } },
	{ WCP "Windows Installer", "Always install with elevated privileges",
	  { { SPMW "Installer", "AlwaysInstallElevated", DW, NULL, ON1 } } },
	{ WCP "Windows Logon Options", "Sign-in last interactive user "
	  "automatically after a system-initiated restart",
	  { { SMWP "System", "DisableAutomaticRestartSignOn", DW, NULL,
	      ON0 } } },
	{ WCP "Windows Logon Options", "Sign-in and lock last interactive "
	  "user automatically after a restart",
	  { { SMWP "System", "DisableAutomaticRestartSignOn", DW, NULL,
	      ON0 } } },
	{ WCP "Windows PowerShell", "Turn on PowerShell Script Block Logging",
	  { { SPMW "PowerShell\\ScriptBlockLogging",
	      "EnableScriptBlockLogging", DW, NULL, ON1 },
	    { SPMW "PowerShell\\ScriptBlockLogging",
	      "EnableScriptBlockInvocationLogging", DW,
	      "Log script block invocation start / stop events:",
	      "Enabled=1|Disabled=-" } } },
	{ WCP "Windows PowerShell", "Turn on PowerShell Transcription",
	  { { SPMW "PowerShell\\Transcription", "EnableTranscripting", DW,
	      NULL, ON1 },
	    { SPMW "PowerShell\\Transcription", "OutputDirectory", SZ,
	      "Transcript output directory", "$" },
	    { SPMW "PowerShell\\Transcription", "EnableInvocationHeader", DW,
	      "Include invocation headers:", "Enabled=1|Disabled=-" } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Client",
	  "Allow Basic authentication",
	  { { SPMW "WinRM\\Client", "AllowBasic", DW, NULL, ON1 } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Client",
	  "Allow unencrypted traffic",
	  { { SPMW "WinRM\\Client", "AllowUnencryptedTraffic", DW, NULL,
	      ON1 } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Client",
	  "Disallow Digest authentication",
	  { { SPMW "WinRM\\Client", "AllowDigest", DW, NULL, ON0 } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Service",
	  "Allow Basic authentication",
	  { { SPMW "WinRM\\Service", "AllowBasic", DW, NULL, ON1 } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Service",
	  "Allow unencrypted traffic",
	  { { SPMW "WinRM\\Service", "AllowUnencryptedTraffic", DW, NULL,
	      ON1 } } },
	{ WCP "Windows Remote Management (WinRM)/WinRM Service",
	  "Disallow WinRM from storing RunAs credentials",
	  { { SPMW "WinRM\\Service", "DisableRunAs", DW, NULL, ON1 } } },

	/* User */
	{ "Control Panel/Personalization", "Enable screen saver",
	  { { SPMW "Control Panel\\Desktop", "ScreenSaveActive", SZ, NULL,
	      ON1 } } },
	{ "Control Panel/Personalization", "Password protect the screen saver",
	  { { SPMW "Control Panel\\Desktop", "ScreenSaverIsSecure", SZ, NULL,
	      ON1 } } },
	{ "Start Menu and Taskbar/Notifications",
	  "Turn off toast notifications on the lock screen",
	  { { SPMW "CurrentVersion\\PushNotifications",
	      "NoToastApplicationNotificationOnLockScreen", DW, NULL,
	      ON1 } } },
};
#define NADMX (sizeof admx / sizeof admx[0])

/* In a .pol, but in no policy its report lists. */
static const struct {
	const char	*pol, *key, *name;
} unlisted[] = {
	/*
	 * NoStartBanner ("Remove 'Click here to begin' from the Start
	 * menu", a Windows 2000 user policy) is in both Windows 10 STIG
	 * machine files; neither report lists it, not even as an extra
	 * registry setting.
	 */
	{ "nsa_Windows_A2A38432_Machine.pol", SMWP "Explorer",
	  "NoStartBanner" },
	{ "simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol",
	  SMWP "Explorer", "NoStartBanner" },
	/* The Ansible Fixes GPO sets this 1709 Windows Analytics value,
	 * and its report does not show it. */
	{ "simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol",
	  SPMW "DataCollection",
	  "LimitEnhancedDiagnosticDataWindowsAnalytics" },
};

/* One option (element) of a policy as the report shows it. */
struct rep_elem {
	char	*kind;			/* "DropDownList", "CheckBox", ... */
	char	*name;
	char	*state;
	char	*value;			/* Numeric/EditText text, drop-down
					   label; NULL if none */
	char	*lines;			/* MultiText: lines joined by "\n" */
	char	*additive;		/* ListBox */
	char	**pairs;		/* ListBox: name, data, name, ... */
	size_t	 npairs;
};
struct rep_policy {
	char		*category, *name, *state;
	struct rep_elem	*elems;
	size_t		 nelems;
};
struct report {
	struct rep_policy *p;
	size_t		  n;
	size_t		  extra;	/* RegistrySetting elements */
};

static int
is_reg(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, NS_REGISTRY) == 0 &&
	    (name == NULL || strcmp((const char *)n->name, name) == 0);
}

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (n = n->children; n != NULL; n = n->next)
		if (is_reg(n, name))
			return n;
	return NULL;
}

/* Text of the named child, or NULL; caller frees. */
static char *
child_text(xmlNode *n, const char *name)
{
	xmlChar	*c;
	char	*s;

	if ((n = child(n, name)) == NULL)
		return NULL;
	c = xmlNodeGetContent(n);
	s = xstrdup(c != NULL ? (const char *)c : "");
	xmlFree(c);
	return s;
}

static void
rep_elem(struct rep_policy *p, xmlNode *e)
{
	struct rep_elem	*re;
	xmlNode		*v, *c;
	char		*s, *joined;

	p->elems = xreallocarray(p->elems, p->nelems + 1, sizeof *p->elems);
	re = &p->elems[p->nelems++];
	memset(re, 0, sizeof *re);
	re->kind = xstrdup((const char *)e->name);
	re->name = child_text(e, "Name");
	if (re->name == NULL)
		re->name = xstrdup("");
	re->state = child_text(e, "State");
	re->additive = child_text(e, "Additive");
	if ((v = child(e, "Value")) == NULL)
		return;
	if (strcmp(re->kind, "DropDownList") == 0) {
		re->value = child_text(v, "Name");
		return;
	}
	if (strcmp(re->kind, "ListBox") == 0) {
		for (c = v->children; c != NULL; c = c->next) {
			if (!is_reg(c, "Element"))
				continue;
			re->pairs = xreallocarray(re->pairs, re->npairs + 2,
			    sizeof *re->pairs);
			re->pairs[re->npairs++] = child_text(c, "Name");
			re->pairs[re->npairs++] = child_text(c, "Data");
		}
		return;
	}
	if (strcmp(re->kind, "MultiText") == 0) {
		re->lines = xstrdup("");
		for (c = v->children; c != NULL; c = c->next) {
			if (!is_reg(c, "string"))
				continue;
			s = (char *)xmlNodeGetContent(c);
			joined = xprintf("%s%s%s", re->lines,
			    *re->lines == '\0' ? "" : "\n", s);
			xmlFree(s);
			free(re->lines);
			re->lines = joined;
		}
		return;
	}
	s = (char *)xmlNodeGetContent(v);
	re->value = xstrdup(s);
	xmlFree(s);
}

static void
rep_walk(struct report *r, xmlNode *n)
{
	struct rep_policy	*p;
	xmlNode			*c;

	for (; n != NULL; n = n->next) {
		if (is_reg(n, "RegistrySetting"))
			r->extra++;
		if (!is_reg(n, "Policy")) {
			rep_walk(r, n->children);
			continue;
		}
		r->p = xreallocarray(r->p, r->n + 1, sizeof *r->p);
		p = &r->p[r->n++];
		memset(p, 0, sizeof *p);
		p->name = child_text(n, "Name");
		p->state = child_text(n, "State");
		p->category = child_text(n, "Category");
		assert_non_null(p->name);
		assert_non_null(p->state);
		assert_non_null(p->category);
		for (c = n->children; c != NULL; c = c->next) {
			if (!is_reg(c, NULL))
				continue;
			if (strcmp((const char *)c->name, "Name") == 0 ||
			    strcmp((const char *)c->name, "State") == 0 ||
			    strcmp((const char *)c->name, "Explain") == 0 ||
			    strcmp((const char *)c->name, "Supported") == 0 ||
			    strcmp((const char *)c->name, "Category") == 0 ||
			    strcmp((const char *)c->name, "Text") == 0)
				continue;	/* Text: a label only */
			rep_elem(p, c);
		}
	}
}

static void
report_load(const char *file, struct report *r)
{
	xmlDoc	*doc;
	char	*path;

	memset(r, 0, sizeof *r);
	path = xprintf("%s/pol/expected/%s", tl_testdata(), file);
	/* UTF-16LE with a BOM and encoding="utf-16": libxml2 decodes. */
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (doc == NULL)
		fail_msg("%s: libxml2 cannot read it", path);
	rep_walk(r, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	free(path);
}

static void
report_free(struct report *r)
{
	struct rep_policy	*p;
	struct rep_elem		*e;
	size_t			 i, j, k;

	for (i = 0; i < r->n; i++) {
		p = &r->p[i];
		for (j = 0; j < p->nelems; j++) {
			e = &p->elems[j];
			free(e->kind);
			free(e->name);
			free(e->state);
			free(e->value);
			free(e->lines);
			free(e->additive);
			for (k = 0; k < e->npairs; k++)
				free(e->pairs[k]);
			free(e->pairs);
		}
		free(p->elems);
		free(p->category);
		free(p->name);
		free(p->state);
	}
	free(r->p);
}

/* "A=1|B=2": the data for word, or NULL. */
static char *
map_lookup(const char *map, const char *word)
{
	const char	*p, *end, *eq;
	size_t		 wl = strlen(word);

	for (p = map; *p != '\0'; p = *end == '|' ? end + 1 : end) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		for (eq = end; eq > p && eq[-1] != '='; eq--)
			/* nothing */;
		if (eq == p)
			fail_msg("bad map \"%s\"", map);
		if ((size_t)(eq - 1 - p) == wl && strncmp(p, word, wl) == 0)
			return xstrndup(eq, (size_t)(end - eq));
	}
	return NULL;
}

struct cmp {
	const char	*file;
	struct pol	*pol;
	int		*claimed;	/* per .pol entry */
	size_t		 values;	/* compared with data */
	size_t		 present;	/* compared without data */
	size_t		 deletes;
};

/* The .pol has key\name of type with data shown as want (NULL: any). */
static void
pol_expect(struct cmp *c, const struct rep_policy *p, const char *key,
    const char *name, uint32_t type, const char *want)
{
	const struct pol_entry	*e;
	ssize_t			 i;
	char			*got;

	if ((i = pol_find(c->pol, key, name)) == -1)
		fail_msg("%s: policy \"%s\" (%s): no %s\\%s", c->file, p->name,
		    p->state, key, name);
	e = &c->pol->entries[i];
	c->claimed[i] = 1;
	if (e->type != type)
		fail_msg("%s: %s\\%s: type %u, ADMX says %u", c->file, key,
		    name, e->type, type);
	if (want == NULL) {
		c->present++;
		return;
	}
	got = pol_entry_format(e);
	if (strcmp(got, want) != 0)
		fail_msg("%s: policy \"%s\" (%s): %s\\%s is \"%s\", the report "
		    "says \"%s\"", c->file, p->name, p->state, key, name, got,
		    want);
	free(got);
	c->values++;
}

/* The report asks for **del.NAME. */
static void
pol_expect_delete(struct cmp *c, const struct rep_policy *p, const char *key,
    const char *name)
{
	const char	*target;
	char		*del;
	ssize_t		 i;

	del = xprintf("**del.%s", name);
	if ((i = pol_find(c->pol, key, del)) == -1)
		fail_msg("%s: policy \"%s\" (%s): no %s\\%s", c->file, p->name,
		    p->state, key, del);
	assert_int_equal(pol_entry_action(&c->pol->entries[i], &target),
	    POL_ACTION_DEL);
	assert_string_equal(target, name);
	/* And no value of that name beside it. */
	assert_int_equal(pol_find(c->pol, key, name), -1);
	c->claimed[i] = 1;
	c->deletes++;
	free(del);
}

static const struct admx_policy *
admx_find(const struct rep_policy *p)
{
	size_t	i;

	for (i = 0; i < NADMX; i++)
		if (strcmp(admx[i].category, p->category) == 0 &&
		    strcmp(admx[i].name, p->name) == 0)
			return &admx[i];
	return NULL;
}

static const struct rep_elem *
rep_find_elem(const struct rep_policy *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nelems; i++)
		if (strcmp(p->elems[i].name, name) == 0)
			return &p->elems[i];
	return NULL;
}

/* One value of a row, from the report's words. */
static void
compare_val(struct cmp *c, const struct rep_policy *p,
    const struct admx_val *v)
{
	const struct rep_elem	*e = NULL;
	const char		*word;
	char			*data;
	size_t			 k;

	if (v->elem != NULL) {
		/* An option older reports do not show (the 2016 report's
		 * Device Guard policy has no Secure Launch option). */
		if ((e = rep_find_elem(p, v->elem)) == NULL)
			return;
		if (v->map == NULL)
			return;
		assert_non_null(e->state);
	}
	if (strcmp(v->map, "list") == 0) {
		assert_string_equal(e->kind, "ListBox");
		/* Additive: GPMC writes no **delvals. before the list. */
		assert_string_equal(e->additive, "true");
		assert_true(e->npairs > 0);
		for (k = 0; k < e->npairs; k += 2)
			pol_expect(c, p, v->key, e->pairs[k], v->type,
			    e->pairs[k + 1]);
		return;
	}
	if (e != NULL && strcmp(e->state, "NotConfigured") == 0) {
		/* The report states no value for it. */
		pol_expect(c, p, v->key, v->name, v->type, NULL);
		return;
	}
	if (strcmp(v->map, "#") == 0 || strcmp(v->map, "$") == 0) {
		assert_string_equal(e->kind, v->map[0] == '#' ? "Numeric" :
		    "EditText");
		assert_non_null(e->value);
		pol_expect(c, p, v->key, v->name, v->type, e->value);
		return;
	}
	if (strcmp(v->map, "*") == 0) {
		assert_string_equal(e->kind, "MultiText");
		pol_expect(c, p, v->key, v->name, v->type, e->lines);
		return;
	}
	if (e == NULL)
		word = p->state;
	else if (strcmp(e->kind, "DropDownList") == 0)
		word = e->value;
	else
		word = e->state;
	assert_non_null(word);
	if ((data = map_lookup(v->map, word)) == NULL) {
		/* A state the row does not map writes nothing here. */
		if (strstr(v->map, "=-") != NULL)
			return;
		fail_msg("%s: policy \"%s\": no ADMX value for \"%s\" in \"%s\"",
		    c->file, p->name, word, v->map);
	}
	if (strcmp(data, "-") == 0)
		pol_expect_delete(c, p, v->key, v->name);
	else
		pol_expect(c, p, v->key, v->name, v->type, data);
	free(data);
}

/* The .pol is compared as pol_write wrote it to the test's directory, so
 * the settings survive the round trip too. */
static void
compare_report(struct tl_dir *pt, const char *report, const char *polfile,
    size_t npolicies, size_t nvalues)
{
	struct report		 r;
	struct cmp		 c;
	struct pol_error	 err;
	const struct admx_policy *a;
	const struct rep_policy	*p;
	const struct pol_entry	*e;
	struct pol		*orig;
	size_t			 i, j, k, len, outlen, unclaimed = 0;
	uint8_t			*buf, *out;
	char			*path;

	report_load(report, &r);
	/* A RegistrySetting section would list key, name and value
	 * directly; these reports have none (see the top of the file). */
	assert_int_equal(r.extra, 0);
	if (r.n != npolicies)
		fail_msg("%s: %zu policies, expected %zu", report, r.n,
		    npolicies);

	memset(&c, 0, sizeof c);
	c.file = polfile;
	path = xprintf("%s/pol/%s", tl_testdata(), polfile);
	tl_read(path, 1 << 24, (void **)&buf, &len);
	free(path);
	if (pol_parse(buf, len, &orig, &err) != 0)
		fail_msg("%s: %s", polfile, err.msg);
	out = pol_write(orig, &outlen);
	pol_free(orig);
	free(buf);
	path = tl_path(pt->dir, "registry.pol");
	tl_write(path, out, outlen);
	tl_read(path, 1 << 24, (void **)&buf, &len);
	free(path);
	free(out);
	if (pol_parse(buf, len, &c.pol, &err) != 0)
		fail_msg("%s as written: %s", polfile, err.msg);
	c.claimed = xcalloc(c.pol->nentries, sizeof *c.claimed);

	for (i = 0; i < r.n; i++) {
		p = &r.p[i];
		if ((a = admx_find(p)) == NULL)
			fail_msg("%s: no ADMX row for \"%s\" / \"%s\"", report,
			    p->category, p->name);
		/* Every option the report shows is in the row. */
		for (j = 0; j < p->nelems; j++) {
			for (k = 0; k < ADMX_MAXV; k++)
				if (a->v[k].elem != NULL &&
				    strcmp(a->v[k].elem,
				    p->elems[j].name) == 0)
					break;
			if (k == ADMX_MAXV)
				fail_msg("%s: policy \"%s\": option \"%s\" is "
				    "not in its ADMX row", report, p->name,
				    p->elems[j].name);
		}
		for (k = 0; k < ADMX_MAXV; k++)
			if (a->v[k].key != NULL || a->v[k].elem != NULL)
				compare_val(&c, p, &a->v[k]);
	}

	/* Every entry of the .pol comes from some listed policy. */
	for (i = 0; i < c.pol->nentries; i++) {
		if (c.claimed[i])
			continue;
		e = &c.pol->entries[i];
		for (j = 0; j < sizeof unlisted / sizeof unlisted[0]; j++)
			if (strcmp(unlisted[j].pol, polfile) == 0 &&
			    strcmp(unlisted[j].key, e->key) == 0 &&
			    strcmp(unlisted[j].name, e->name) == 0)
				break;
		if (j < sizeof unlisted / sizeof unlisted[0])
			continue;
		print_message("# %s: %s\\%s is in no policy of the report\n",
		    polfile, e->key, e->name);
		unclaimed++;
	}
	assert_int_equal(unclaimed, 0);
	/* And the comparison did compare: values with data from the
	 * report, plus presence-only and deletes, cover the file. */
	if (c.values != nvalues)
		fail_msg("%s: %zu values compared with data, expected %zu",
		    report, c.values, nvalues);
	print_message("# %s: %zu policies, %zu values compared with data, %zu "
	    "deletes, %zu without data (NotConfigured options), %zu entries "
	    "in the .pol\n", report, r.n, c.values, c.deletes, c.present,
	    c.pol->nentries);

	free(c.claimed);
	pol_free(c.pol);
	free(buf);
	report_free(&r);
}

static void
test_gpreport_nsa_windows_machine(void **state)
{
	compare_report(*state, "nsa_Windows_A2A38432_gpreport.xml",
	    "nsa_Windows_A2A38432_Machine.pol", 73, 80);
}

static void
test_gpreport_nsa_windows_user(void **state)
{
	compare_report(*state, "nsa_Windows_B30BE6B3_gpreport.xml",
	    "nsa_Windows_B30BE6B3_User.pol", 3, 3);
}

static void
test_gpreport_dod_ansible_machine(void **state)
{
	compare_report(*state,
	    "sos_dod_Windows_10_Computer_Ansible_Fixes_gpreport.xml",
	    "simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol", 79, 99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_gpreport_nsa_windows_machine, tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gpreport_nsa_windows_user, tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gpreport_dod_ansible_machine, tl_setup, tl_teardown),
	};
	int	rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}

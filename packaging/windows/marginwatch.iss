; Inno Setup script for the Windows installer of MarginWatch (Inno Setup 6).
; Build the bundle first (python packaging\build.py runs this too when iscc is on PATH):
;   iscc /DAppVersion=0.1.0 packaging\windows\marginwatch.iss
; Paths are relative to this file. Output: dist\MarginWatch-<version>-setup.exe

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "MarginWatch"
#define AppExe "marginwatch.exe"
#define AppUserModelId "io.marginwatch.MarginWatch"

[Setup]
; AppId identifies the app across upgrades: never change it.
AppId={{6F0B8A52-3C1D-4E7A-9B25-8D41C7E3A9F6}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The MarginWatch developers
; The installer refuses to overwrite a running tray app; the app holds this mutex while it runs.
AppMutex=MarginWatch.Running,Global\MarginWatch.Running
CloseApplications=yes
RestartApplications=no
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install without UAC by default; an administrator may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=MarginWatch-{#AppVersion}-setup
SetupIconFile=resources\icons\marginwatch.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "dist\MarginWatch\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; The AppUserModelID lets Windows attribute toast notifications to this shortcut's app.
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

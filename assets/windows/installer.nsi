; Postfach's Windows installer (NSIS 3, built on Linux by .ci/package-windows.sh).
;
; A per-user install that needs no administrator: the program goes to
; %LOCALAPPDATA%\Programs\Postfach (where Windows puts per-user programs), the Start menu
; entry, the "Apps & features" entry, the notification identity and the autostart value all
; live under HKCU. Uninstalling removes exactly those, and keeps the settings and backups
; unless the user ticks the box and then confirms a message that names the folders: the
; backups may be the only copy of mail that Postfach deleted from the server.
;
; Defined by the build script: APPID (FyneApp.toml's ID), VERSION, BUILD, DIST (the folder
; holding Postfach.exe and postfach.com), ICON (postfach.ico) and OUTFILE.

; A 64-bit installer for a 64-bit program. It also lets the tests run it under a 64-bit-only
; Wine (Debian's wine64 without wine32).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include MUI2.nsh
!include LogicLib.nsh

!define NAME "Postfach"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPID}"
; The app writes and removes this value itself (gui/autostart_windows.go); the
; uninstaller removes it so that no login starts a program that is gone.
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
; Windows shows toasts only from an AppUserModelID registered here (display name and
; icon). Fyne sends notifications with the app ID as AUMID.
!define AUMIDKEY "Software\Classes\AppUserModelId\${APPID}"

Name "${NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "${NAME} ${VERSION}"

VIProductVersion "${VERSION}.${BUILD}"
VIAddVersionKey /LANG=1033 "ProductName" "${NAME}"
VIAddVersionKey /LANG=1033 "FileDescription" "${NAME} Setup"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}.${BUILD}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}.${BUILD}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Postfach contributors"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\Postfach.exe"
!define MUI_FINISHPAGE_RUN_TEXT "$(StartNow)"
!define MUI_UNCOMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; NSIS picks the language that matches Windows' display language.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "German"

LangString StartNow ${LANG_ENGLISH} "Start Postfach now"
LangString StartNow ${LANG_GERMAN} "Postfach jetzt starten"
LangString StillRunning ${LANG_ENGLISH} "Postfach is still running. Quit it (tray icon, Quit) and click Retry."
LangString StillRunning ${LANG_GERMAN} "Postfach läuft noch. Beenden Sie es (Symbol im Infobereich, Beenden) und klicken Sie auf Wiederholen."
LangString DataSection ${LANG_ENGLISH} "Also delete my settings and backups"
LangString DataSection ${LANG_GERMAN} "Auch meine Einstellungen und Sicherungen löschen"
LangString ConfirmData ${LANG_ENGLISH} "These folders will be deleted for good, with every backed-up message in them:"
LangString ConfirmData ${LANG_GERMAN} "Diese Ordner werden endgültig gelöscht, mit allen gesicherten Nachrichten darin:"
LangString ConfirmData2 ${LANG_ENGLISH} "Backups in other folders you chose stay. Mail that Postfach removed from the server exists only in these backups. Delete them?"
LangString ConfirmData2 ${LANG_GERMAN} "Sicherungen in anderen, selbst gewählten Ordnern bleiben. Mails, die Postfach vom Server gelöscht hat, gibt es nur noch in diesen Sicherungen. Wirklich löschen?"

Section "-Install"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "${DIST}\Postfach.exe"
  File "${DIST}\postfach.com"
  File "/oname=Postfach.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\Postfach.exe" "" "$INSTDIR\Postfach.exe" 0

  WriteRegStr HKCU "${AUMIDKEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${AUMIDKEY}" "IconUri" "$INSTDIR\Postfach.ico"

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Postfach"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\Postfach.exe,0"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "-un.Program"
  SetShellVarContext current
  ; A running Postfach holds its exe open, and Windows refuses to delete an open file.
retry:
  ClearErrors
  Delete "$INSTDIR\Postfach.exe"
  ${If} ${Errors}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(StillRunning)" /SD IDCANCEL IDRETRY retry
    Abort
  ${EndIf}
  Delete "$INSTDIR\postfach.com"
  Delete "$INSTDIR\Postfach.ico"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  ; The notification icon the app writes when it registers itself (gui/toastid_windows.go).
  Delete "$LOCALAPPDATA\postfach\icon.png"
  RMDir "$LOCALAPPDATA\postfach"
  DeleteRegValue HKCU "${RUNKEY}" "${APPID}"
  DeleteRegKey HKCU "${AUMIDKEY}"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd

; Settings and backups: unticked by default, never in a silent uninstall (/SD IDNO),
; and only after a confirmation that lists the folders that exist.
Section /o "un.$(DataSection)" SecData
  SetShellVarContext current
  StrCpy $0 ""
  ${If} ${FileExists} "$APPDATA\postfach\*.*"
    StrCpy $0 "$0$\r$\n$APPDATA\postfach"
  ${EndIf}
  ${If} ${FileExists} "$APPDATA\fyne\${APPID}\*.*"
    StrCpy $0 "$0$\r$\n$APPDATA\fyne\${APPID}"
  ${EndIf}
  ${If} ${FileExists} "$DOCUMENTS\Postfach-Backups\*.*"
    StrCpy $0 "$0$\r$\n$DOCUMENTS\Postfach-Backups"
  ${EndIf}
  ${If} ${FileExists} "$PROFILE\Postfach-Backups\*.*"
    StrCpy $0 "$0$\r$\n$PROFILE\Postfach-Backups"
  ${EndIf}
  ${If} $0 == ""
    Return
  ${EndIf}
  MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "$(ConfirmData)$\r$\n$0$\r$\n$\r$\n$(ConfirmData2)" /SD IDNO IDYES +2
  Return
  RMDir /r "$APPDATA\postfach"
  RMDir /r "$APPDATA\fyne\${APPID}"
  RMDir /r "$DOCUMENTS\Postfach-Backups"
  RMDir /r "$PROFILE\Postfach-Backups"
SectionEnd

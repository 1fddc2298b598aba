@echo off
rem NS-LLM launcher: runs the version named in "current" with that version's own Node.js runtime.
rem Double-clicked (no arguments) it serves the demo models and keeps its window open at the end.
setlocal
set "ROOT=%~dp0"
set "ROOT=%ROOT:~0,-1%"
set "VERSION="
if exist "%ROOT%\current" set /p VERSION=<"%ROOT%\current"
if "%VERSION%"=="" (
  echo error: %ROOT%\current is missing ^(reinstall NS-LLM^) 1>&2
  exit /b 1
)
if not exist "%ROOT%\versions\%VERSION%\node.exe" (
  set "PREVIOUS="
  if exist "%ROOT%\previous" set /p PREVIOUS=<"%ROOT%\previous"
  call :fallback
)
if not exist "%ROOT%\versions\%VERSION%\node.exe" (
  echo error: version %VERSION% is not installed in %ROOT%\versions ^(reinstall NS-LLM^) 1>&2
  exit /b 1
)
set "NS_LLM_INSTALL_ROOT=%ROOT%"
set "NS_LLM_VERSION=%VERSION%"
"%ROOT%\versions\%VERSION%\node.exe" "%ROOT%\versions\%VERSION%\app\node\build\cli\launch.js" %*
set "CODE=%ERRORLEVEL%"
if "%~1"=="" pause
exit /b %CODE%
:fallback
if not "%PREVIOUS%"=="" if exist "%ROOT%\versions\%PREVIOUS%\node.exe" (
  echo ns-llm: version %VERSION% is not complete; starting the previous version %PREVIOUS% 1>&2
  set "VERSION=%PREVIOUS%"
)
exit /b 0

#Requires -Version 7
<#
.SYNOPSIS
The agent and the publisher end to end on any OS, for the GitHub runners
(.github/workflows/ci.yml): the Rust end-to-end harness (tests/support) is
unix only, so on Windows this is the end-to-end test; the Linux and macOS
jobs run it too, so a failure on Windows alone points at Windows.

.DESCRIPTION
Starts nats-server (JetStream on) on a free port of 127.0.0.1 and two
agents, alice and bob (`subscriber --output json --log-format json`, each
with its own --state-dir), waits for each one's `subscribed` log event,
then with the real publisher:
  1. sends "Café ☕ pour alice" to session alice: alice prints it (the
     text survives the trip as UTF-8) and the publisher exits 0, which it
     does only once alice's receipt is in;
  2. sends "for bob" to session bob: it is the first thing bob prints, so
     bob never printed alice's message (alice's was delivered first);
  3. sends "to everyone" to all: it is what each agent prints next, so
     alice never printed bob's message either.
Every wait is bounded; on failure it prints what each program wrote.

.EXAMPLE
pwsh scripts/smoke.ps1 -BinDir target/debug
#>
param(
    # Where publisher(.exe) and subscriber(.exe) are.
    [string]$BinDir = 'target/debug',
    # The nats-server to start: a path, or a name looked up on PATH.
    [string]$NatsServer = 'nats-server',
    # The bound on each wait.
    [int]$WaitSeconds = 30
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$exe = if ($IsWindows) { '.exe' } else { '' }
$publisher = Join-Path (Resolve-Path $BinDir) "publisher$exe"
$subscriber = Join-Path (Resolve-Path $BinDir) "subscriber$exe"
foreach ($binary in $publisher, $subscriber) {
    if (-not (Test-Path -PathType Leaf $binary)) { throw "no ${binary}: build first (cargo build --workspace --bins)" }
}
$server = (Get-Command $NatsServer -CommandType Application | Select-Object -First 1).Source
$limit = [TimeSpan]::FromSeconds($WaitSeconds)
$work = Join-Path ([System.IO.Path]::GetTempPath()) "remote-message-smoke-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

# Every program this script started, and a reader per captured stream.
$programs = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$streams = [System.Collections.Generic.List[object]]::new()

# Starts a program with these arguments (each passed as one argument, never
# through a shell). With -Capture its stdout and stderr, decoded as UTF-8,
# are read line by line by Read-LineWithin.
function Start-Program([string]$Path, [string[]]$Arguments, [string]$Name, [switch]$Capture) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($Path)
    foreach ($argument in $Arguments) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    if ($Capture) {
        $utf8 = [System.Text.UTF8Encoding]::new($false)
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.StandardOutputEncoding = $utf8
        $info.StandardErrorEncoding = $utf8
    }
    $process = [System.Diagnostics.Process]::Start($info)
    $programs.Add($process)
    if (-not $Capture) { return $process }
    $out = New-LineReader $process.StandardOutput "$Name stdout"
    $err = New-LineReader $process.StandardError "$Name stderr"
    return [pscustomobject]@{ Name = $Name; Process = $process; Stdout = $out; Stderr = $err }
}

function New-LineReader([System.IO.StreamReader]$Reader, [string]$Name) {
    $lines = [pscustomobject]@{
        Name    = $Name
        Reader  = $Reader
        Pending = $Reader.ReadLineAsync()
        Seen    = [System.Collections.Generic.List[string]]::new()
    }
    $streams.Add($lines)
    return $lines
}

# The next line of a captured stream, waiting at most $Within; throws when
# none comes in time or the stream ends.
function Read-LineWithin($Lines, [TimeSpan]$Within) {
    if (-not $Lines.Pending.Wait($Within)) {
        throw "$($Lines.Name): no line within $($Within.TotalSeconds)s"
    }
    $line = $Lines.Pending.Result
    if ($null -eq $line) { throw "$($Lines.Name) ended" }
    $Lines.Seen.Add($line)
    $Lines.Pending = $Lines.Reader.ReadLineAsync()
    return $line
}

# Waits for the agent's log record with this `event` name (docs/events.md).
function Wait-AgentEvent($Agent, [string]$Name) {
    $deadline = [DateTime]::UtcNow + $limit
    while ($true) {
        $left = $deadline - [DateTime]::UtcNow
        if ($left -le [TimeSpan]::Zero) { throw "$($Agent.Name): no '$Name' event within $WaitSeconds s" }
        $line = Read-LineWithin $Agent.Stderr $left
        $record = $null
        try { $record = $line | ConvertFrom-Json } catch { continue }
        if ($record.PSObject.Properties['event'] -and $record.event -eq $Name) { return $record }
    }
}

# The text of the next message the agent prints (`--output json`).
function Read-Message($Agent) {
    $line = Read-LineWithin $Agent.Stdout $limit
    return ($line | ConvertFrom-Json).text
}

function Assert-Equal($Actual, $Expected, [string]$What) {
    if ($Actual -cne $Expected) { throw "${What}: expected '$Expected', got '$Actual'" }
    Write-Host "ok: $What"
}

function Send-Message([string[]]$Arguments) {
    & $publisher --server $url send @Arguments
    if ($LASTEXITCODE -ne 0) { throw "publisher send $Arguments exited with $LASTEXITCODE" }
}

function Start-Agent([string]$Session) {
    $agent = Start-Program $subscriber @(
        '--server', $url, '--session-id', $Session, '--output', 'json', '--log-format', 'json',
        '--state-dir', (Join-Path $work "state-$Session")
    ) -Name $Session -Capture
    Wait-AgentEvent $agent 'subscribed' | Out-Null
    Write-Host "ok: agent $Session subscribed"
    return $agent
}

# A port nobody listens on now (the OS's pick); the server takes it next.
function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Wait-Listening([int]$Port) {
    $deadline = [DateTime]::UtcNow + $limit
    while ([DateTime]::UtcNow -lt $deadline) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $Port); return } catch { Start-Sleep -Milliseconds 100 } finally { $client.Dispose() }
    }
    throw "nats-server is not listening on port $Port after $WaitSeconds s"
}

$serverLog = Join-Path $work 'nats-server.log'
$passed = $false
try {
    Write-Host "== smoke: $(& $server --version); $(& $subscriber --version); $publisher"
    $port = Get-FreePort
    $url = "nats://127.0.0.1:$port"
    Start-Program $server @('-a', '127.0.0.1', '-p', "$port", '-js', '-sd', (Join-Path $work 'store'), '-l', $serverLog) -Name 'nats-server' | Out-Null
    Wait-Listening $port

    $alice = Start-Agent 'alice'
    $bob = Start-Agent 'bob'

    $forAlice = 'Café ☕ pour alice'
    Send-Message @('--session', 'alice', $forAlice)
    Assert-Equal (Read-Message $alice) $forAlice 'alice shows her message, UTF-8 intact'

    Send-Message @('--session', 'bob', 'for bob')
    Assert-Equal (Read-Message $bob) 'for bob' "bob's first message is his own (alice's never reached him)"

    Send-Message @('to everyone')
    Assert-Equal (Read-Message $alice) 'to everyone' "alice's next message is the broadcast (bob's never reached her)"
    Assert-Equal (Read-Message $bob) 'to everyone' 'bob shows the broadcast'
    $passed = $true
} finally {
    foreach ($process in $programs) {
        # Ended already, or ending now: either way, nothing left to stop.
        try { $process.Kill($true); $process.WaitForExit(5000) | Out-Null } catch { }
    }
    if (-not $passed) {
        foreach ($lines in $streams) {
            # Whatever the stream still held once its program ended.
            try {
                if ($lines.Pending.Wait(1000) -and $null -ne $lines.Pending.Result) {
                    $lines.Seen.Add($lines.Pending.Result)
                    $lines.Seen.AddRange([string[]]($lines.Reader.ReadToEnd() -split "`r?`n"))
                }
            } catch {
                $lines.Seen.Add("(the rest could not be read: $_)")
            }
            Write-Host "---- $($lines.Name)"
            $lines.Seen | ForEach-Object { Write-Host $_ }
        }
        if (Test-Path $serverLog) { Write-Host '---- nats-server log'; Get-Content $serverLog | Write-Host }
    }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
Write-Host '== smoke: passed'

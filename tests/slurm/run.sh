#!/usr/bin/env bash
# The workflow on a real Slurm: a private single-node cluster on 127.0.0.1 (Debian's Slurm and
# munge, a fake GPU declared), then
#   1. the tiny study (tests/configs/tiny.yaml) through `sbatch` with profiles/slurm: every job
#      went through Slurm, the 4 training runs as one grouped Slurm job, and the results have
#      the shape of a local run's (run meanwhile in the background);
#   2. two longer training runs with profiles/slurm-gpu: one grouped Slurm job that asks for
#      and gets one GPU (--gpus=1), requeued by Slurm while it runs (as on preemption);
#      Snakemake waits it out and the interrupted run resumes from its last epoch (last.pt);
#   3. small runs sharing a GPU (docs/slurm.md): one Slurm job that holds the GPU runs the tiny
#      study's training with profiles/gpu-node, two runs at once.
# Everything lives under one mktemp folder; the daemons it started are stopped by their pid
# files on every exit, also on failure, and /etc/slurm is left as it was found.
#
#   bash tests/slurm/run.sh        # needs root and apt-get; says SKIPPED otherwise (exit 0)
#
# ACTSTUDY_SLURM_REQUIRED=1 turns a skip into a failure; ACTSTUDY_SLURM_KEEP=1 keeps the
# scratch folder. Exits non-zero on any failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/tests/slurm"
VENV="${VENV:-$REPO/.venv}"
START=$SECONDS

say() { printf '[slurm-check %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() {
    say "FAILED: $*" >&2
    exit 1
}
skip() {
    say "SKIPPED: $* (the Slurm check did not run)"
    [[ "${ACTSTUDY_SLURM_REQUIRED:-0}" == 1 ]] && fail "ACTSTUDY_SLURM_REQUIRED=1 but the check was skipped"
    exit 0
}

[[ "$(id -u)" == 0 ]] || skip "not root: installing Slurm and starting its daemons needs root"
command -v apt-get >/dev/null || skip "apt-get unavailable: Debian's Slurm packages cannot be installed"
[[ -x "$VENV/bin/snakemake" ]] || fail "no $VENV/bin/snakemake: run 'make venv' (or 'make test') first"
NCPU=$(nproc)
((NCPU >= 2)) || fail "this check needs at least 2 CPUs (found $NCPU)"

# One check at a time on this machine: /etc/slurm/slurm.conf is shared by every Slurm command.
exec {LOCK_FD}>/tmp/actstudy-slurm-check.lock
flock -w 900 "$LOCK_FD" || fail "another Slurm check kept /tmp/actstudy-slurm-check.lock for 15 min"

unset SLURM_CONF SNAKEMAKE_PROFILE
export PATH="$VENV/bin:$PATH"
PY="$VENV/bin/python"

# --- everything below is undone by cleanup --------------------------------------------------
TMP="$(mktemp -d /tmp/actstudy-slurm.XXXXXX)"
chmod 755 "$TMP" # munged wants its socket folder reachable by all
CONF_DIR=/etc/slurm
OWN_CONF=0
OWN_POLICY=0
SNAKE_PID=""
LOCAL_PID=""

stop_by_pidfile() { # name pidfile: SIGTERM the process in pidfile if it is that daemon, wait
    local name=$1 pidfile=$2 pid
    [[ -s "$pidfile" ]] || return 0
    pid=$(<"$pidfile")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; return 0; }
        sleep 0.2
    done
    say "$name (pid $pid) ignored SIGTERM for 20 s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

wait_pidfile() { # name pidfile: wait until the daemon just started has written its pid file
    for _ in $(seq 1 100); do
        [[ -s "$2" ]] && return 0
        sleep 0.1
    done
    fail "$1 wrote no pid file $2 within 10 s"
}

stop_group() { # pid signal: signal the process group led by pid (started with setsid), wait
    local pid=$1 sig=$2
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    # SIGINT makes Snakemake scancel its Slurm jobs (SIGTERM would leave them running).
    stop_group "$SNAKE_PID" INT
    stop_group "$LOCAL_PID" TERM
    if ((rc != 0)); then
        for log in "$TMP"/log/*.log "$TMP"/*.out; do
            [[ -s "$log" ]] || continue
            echo "----- last lines of $log" >&2
            tail -n 40 "$log" >&2
        done
    fi
    if ((OWN_POLICY)); then rm -f /usr/sbin/policy-rc.d; fi
    if [[ -s "$TMP/run/slurmctld.pid" ]] && ((OWN_CONF)); then
        # The private cluster only runs this check's jobs.
        timeout 10 scancel --quiet --user=root 2>/dev/null
        for _ in $(seq 1 30); do
            [[ -z "$(timeout 5 squeue -h -t running,completing -o %i 2>/dev/null)" ]] && break
            sleep 1
        done
    fi
    stop_by_pidfile slurmd "$TMP/run/slurmd.pid"
    stop_by_pidfile slurmctld "$TMP/run/slurmctld.pid"
    stop_by_pidfile munged "$TMP/run/munged.pid"
    if ((OWN_CONF)); then
        for f in slurm.conf gres.conf; do
            rm -f "$CONF_DIR/$f"
            [[ -e "$TMP/etc-backup/$f" ]] && mv "$TMP/etc-backup/$f" "$CONF_DIR/$f"
        done
    fi
    if [[ "${ACTSTUDY_SLURM_KEEP:-0}" == 1 ]]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    if ((rc == 0)); then
        say "PASSED in $((SECONDS - START)) s"
    else
        say "FAILED (exit $rc) after $((SECONDS - START)) s" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the reference: the same tiny study run locally, in the background meanwhile -------------
mkdir -p "$TMP"/{local,work,state,spool,run,log,munge,etc-backup,profiles}
cp "$REPO/tests/configs/tiny.yaml" "$TMP/local/config.yaml"
cp "$REPO/tests/configs/tiny.yaml" "$TMP/work/config.yaml"
setsid snakemake -s "$REPO/Snakefile" -d "$TMP/local" --cores 2 >"$TMP/local.out" 2>&1 &
LOCAL_PID=$!
say "local reference run started (pid $LOCAL_PID)"

# --- Slurm and munge from Debian -------------------------------------------------------------
PACKAGES=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$TMP/apt.out" 2>&1 || fail "apt-get update failed (see $TMP/apt.out)"
    # The packages must not start their own daemons (this check starts its own): where no
    # policy-rc.d forbids it, one does for the time of the install.
    POLICY=/usr/sbin/policy-rc.d
    if [[ ! -e "$POLICY" ]]; then
        printf '#!/bin/sh\n# actstudy tests/slurm/run.sh: no service starts during its install\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        OWN_POLICY=1
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >>"$TMP/apt.out" 2>&1 || rc=$?
    if ((OWN_POLICY)); then rm -f "$POLICY" && OWN_POLICY=0; fi
    ((rc == 0)) || fail "apt-get install ${PACKAGES[*]} failed (exit $rc)"
fi
say "$(slurmctld -V), munge $(dpkg-query -W -f='${Version}' munge)"

# --- munged with a private key, socket, pid and log -----------------------------------------
dd if=/dev/urandom of="$TMP/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$TMP/munge/munge.key"
munged --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.socket" \
    --pid-file="$TMP/run/munged.pid" --log-file="$TMP/log/munged.log" \
    --seed-file="$TMP/munge/munged.seed" || fail "munged did not start"
wait_pidfile munged "$TMP/run/munged.pid"
for _ in $(seq 1 50); do [[ -S "$TMP/munge/munge.socket" ]] && break; sleep 0.1; done
munge -n -S "$TMP/munge/munge.socket" | unmunge -S "$TMP/munge/munge.socket" >/dev/null ||
    fail "munge round trip failed"

# --- slurm.conf: one node (this machine) with a fake GPU, private state, free ports ---------
HOST=$(hostname -s)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
read -r CTLD_PORT SLURMD_PORT < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
OVERRIDES=""
if ((MEM_MB < 9000)); then
    # The rules ask for up to 8 GB; nothing enforces it here, so declare enough memory.
    say "only $MEM_MB MB of RAM: declaring 9000 MB to Slurm (SlurmdParameters=config_overrides)"
    MEM_MB=9000
    OVERRIDES="SlurmdParameters=config_overrides"
fi
MARK="Written by actstudy's tests/slurm/run.sh"
for f in slurm.conf gres.conf; do
    if grep -qs "$MARK" "$CONF_DIR/$f"; then
        say "WARNING: $CONF_DIR/$f is left from an earlier run that was killed; replacing it"
        rm -f "$CONF_DIR/$f"
    elif [[ -e "$CONF_DIR/$f" ]]; then
        mv "$CONF_DIR/$f" "$TMP/etc-backup/$f"
    fi
done
mkdir -p "$CONF_DIR"
OWN_CONF=1
cat >"$CONF_DIR/slurm.conf" <<EOF
# $MARK for one run; removed (and any earlier file restored) when it exits.
ClusterName=actstudy-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/run/slurmctld.pid
SlurmdPidFile=$TMP/run/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
ReturnToService=2
# Finished jobs stay known for an hour: the checks ask scontrol about them after each step,
# which takes minutes on a busy 2-core machine.
MinJobAge=3600
KillWait=5
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
GresTypes=gpu
$OVERRIDES
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM_MB Gres=gpu:1 State=UNKNOWN
PartitionName=ci Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
cat >"$CONF_DIR/gres.conf" <<EOF
# $MARK: a fake GPU, so that GPU requests can be scheduled.
NodeName=$HOST Name=gpu File=/dev/null
EOF

slurmctld -f "$CONF_DIR/slurm.conf" || fail "slurmctld did not start"
wait_pidfile slurmctld "$TMP/run/slurmctld.pid"
slurmd -f "$CONF_DIR/slurm.conf" || fail "slurmd did not start"
wait_pidfile slurmd "$TMP/run/slurmd.pid"
for _ in $(seq 1 60); do
    for d in slurmctld slurmd; do
        if grep -q "fatal:" "$TMP/log/$d.log" 2>/dev/null; then fail "$d: $(grep -m1 fatal: "$TMP/log/$d.log")"; fi
    done
    state=$(timeout 5 sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    sleep 1
done
[[ "$state" == idle ]] || fail "node $HOST is '${state:-unknown}', not idle, after 60 s"
say "Slurm up: node $HOST ($NCPU CPUs, $MEM_MB MB, gres gpu:1), partition ci, ports $CTLD_PORT/$SLURMD_PORT"

# --- the profiles as a user would edit them: partitions set, account line deleted -----------
for name in slurm slurm-gpu; do
    "$PY" "$HERE/edit_profile.py" "$REPO/profiles/$name/config.yaml" "$TMP/profiles/$name/config.yaml" ||
        fail "could not fill in profiles/$name"
done

# Test-only settings: no accounts here, `squeue` for the status (no accounting database),
# quick status checks, and the plugin's per-job logs and sbatch calls (--verbose) kept.
TEST_ARGS=(--slurm-no-account --slurm-status-command squeue
    --slurm-init-seconds-before-status-checks 3 --slurm-keep-successful-logs
    --latency-wait 5 --verbose)

start_snakemake() { # logfile args...: Snakemake in its own process group (cleanup SIGINTs it)
    local out=$1
    shift
    # (A script's background commands ignore SIGINT; env gives Snakemake its Ctrl-C back.)
    setsid env --default-signal=INT snakemake -s "$REPO/Snakefile" -d "$TMP/work" "$@" "${TEST_ARGS[@]}" >"$out" 2>&1 &
    SNAKE_PID=$!
}
wait_snakemake() {
    local rc=0
    wait "$SNAKE_PID" || rc=$?
    SNAKE_PID=""
    return "$rc"
}
run_snakemake() { start_snakemake "$@" && wait_snakemake; }

# --- 1. the tiny study through sbatch with the CPU profile -------------------------------------
say "tiny study through Slurm with profiles/slurm ..."
t0=$SECONDS
run_snakemake "$TMP/slurm.out" --profile "$TMP/profiles/slurm" ||
    fail "snakemake --profile profiles/slurm failed (log: $TMP/slurm.out)"
say "... done in $((SECONDS - t0)) s"

say "waiting for the local reference run ..."
wait "$LOCAL_PID" || fail "the local reference run failed (log: $TMP/local.out)"
LOCAL_PID=""

"$PY" "$HERE/check_run.py" outputs --slurm "$TMP/work" --local "$TMP/local" ||
    fail "the Slurm run's results differ from the local run's"
"$PY" "$HERE/check_run.py" jobs --log "$TMP/slurm.out" --ctld-log "$TMP/log/slurmctld.log" \
    --slurm-logs "$TMP/work/.snakemake/slurm_logs" --expect prepare=1,folds=1,train=1,timing=1,activation_curves=1,aggregate=1,statistics=1,figures=1 \
    --grouped train=4 || fail "the jobs did not all go through sbatch as expected"

# --- 2. GPU profile and preemption: two longer training runs in one Slurm job with one GPU ---
# The two runs of one activation, now 60 epochs each (a config change, so they are stale):
# profiles/slurm-gpu groups them into one Slurm job, which must ask for and get one GPU (the
# fake one). Once the first run has written last.pt, Slurm requeues the running job as it
# would on preemption (--requeue is in the profile): Snakemake keeps waiting on the same Slurm
# job id, and in the job's second start the interrupted run resumes from its last epoch.
EPOCHS=60
say "GPU profile and preemption: two $EPOCHS-epoch training runs, requeued while running ..."
t0=$SECONDS
RUNS="results/tiny/runs/digits/lenet5/relu"
sed "s/^  epochs: 1\$/  epochs: $EPOCHS/" "$REPO/tests/configs/tiny.yaml" >"$TMP/work/long.yaml"
grep -q "^  epochs: $EPOCHS\$" "$TMP/work/long.yaml" || fail "could not set $EPOCHS epochs in a copy of tiny.yaml"
# A checkpoint after every epoch (not every 30 s), so that the requeue below comes early; sbatch
# passes the variable on to the job.
ACTSTUDY_CHECKPOINT_SECONDS=0 \
    start_snakemake "$TMP/slurm-gpu.out" "$RUNS/fold0/metrics.json" "$RUNS/fold1/metrics.json" \
    --profile "$TMP/profiles/slurm-gpu" --configfile "$TMP/work/long.yaml" --replace-workflow-config
CUT=""
for _ in $(seq 1 240); do
    for fold in fold0 fold1; do
        if [[ -s "$TMP/work/$RUNS/$fold/last.pt" ]]; then CUT=$fold; fi
    done
    [[ -n "$CUT" ]] && break
    kill -0 "$SNAKE_PID" 2>/dev/null || break
    sleep 0.25
done
[[ -n "$CUT" ]] || fail "no training run wrote last.pt within 60 s (log: $TMP/slurm-gpu.out)"
JOB=$(timeout 10 squeue -h -t running -o %i)
[[ "$JOB" =~ ^[0-9]+$ ]] || fail "expected one running Slurm job, squeue says '$JOB'"
timeout 10 scontrol requeue "$JOB" || fail "scontrol requeue $JOB failed"
say "requeued running Slurm job $JOB (run $CUT had written last.pt); Snakemake keeps waiting on it"
# Slurm holds a requeued job for about two minutes (Reason=BeginTime); release it at once.
for _ in $(seq 1 30); do
    if [[ "$(timeout 5 squeue -h -j "$JOB" -o %T)" == PENDING ]]; then
        timeout 10 scontrol update JobId="$JOB" StartTime=now || say "could not release job $JOB; waiting"
        break
    fi
    sleep 0.5
done
while kill -0 "$SNAKE_PID" 2>/dev/null; do
    timeout 5 squeue -h -j "$JOB" -o '%T %r' >>"$TMP/requeue-states.txt" 2>&1 || true
    sleep 1
done
wait_snakemake || fail "snakemake --profile profiles/slurm-gpu failed (log: $TMP/slurm-gpu.out)"
say "... done in $((SECONDS - t0)) s; job $JOB after the requeue: $(uniq "$TMP/requeue-states.txt" | paste -sd, -)"
"$PY" "$HERE/check_run.py" jobs --log "$TMP/slurm-gpu.out" --ctld-log "$TMP/log/slurmctld.log" \
    --slurm-logs "$TMP/work/.snakemake/slurm_logs" --expect train=1 --grouped train=2 --gpus train=1 ||
    fail "the grouped GPU training job did not ask for and get one GPU"
"$PY" "$HERE/check_run.py" requeue --job "$JOB" --epochs "$EPOCHS" --resumed "$TMP/work/$RUNS/$CUT" \
    --runs "$TMP/work/$RUNS/fold0" "$TMP/work/$RUNS/fold1" ||
    fail "the requeued training job did not resume and finish"

# --- 3. small runs share a GPU: profiles/gpu-node inside one Slurm job that holds it ----------
# docs/slurm.md's recipe for small models: one Slurm job with one GPU (the fake one) runs
# Snakemake with profiles/gpu-node, whose training jobs take slots of the gpu_slot pool. The
# tiny study's 4 training runs, 2 slots: the job must hold the GPU and train 2 runs at once.
say "profiles/gpu-node inside one Slurm job with one GPU: 4 training runs, 2 slots ..."
t0=$SECONDS
mkdir -p "$TMP/node"
cp "$REPO/tests/configs/tiny.yaml" "$TMP/node/config.yaml"
NODE_JOB=$(timeout 600 sbatch --parsable --wait --gpus=1 --cpus-per-task="$NCPU" --mem=2000 \
    -o "$TMP/node.out" -D "$TMP/node" --wrap "snakemake -s '$REPO/Snakefile' -d '$TMP/node' \
    train_all --profile '$REPO/profiles/gpu-node' --cores $NCPU --resources gpu_slot=2") ||
    fail "the Slurm job running profiles/gpu-node failed (log: $TMP/node.out)"
say "... done in $((SECONDS - t0)) s (Slurm job $NODE_JOB)"
"$PY" "$HERE/check_run.py" slots --job "$NODE_JOB" --workdir "$TMP/node" --runs 4 --at-once 2 ||
    fail "the training runs did not share the Slurm job's GPU two at a time"

#!/usr/bin/env bash
# shiftdesk nightly job: complaints raised that have waited too long (CP-9), yesterday's
# statistics, an archive of everything since the last
# archive, and a verification of that archive (of each site's, with --site all). Run it
# after midnight, site time, from cron (scripts/nightly.crontab) or a systemd timer
# (scripts/shiftdesk-nightly.{service,timer});
# docs/admin.md, "Nightly job", explains the set-up.
#
# Exit codes: 0 every step succeeded (also when there was no new complete day to archive);
# 2 a step reported a usage or configuration error; 1 any other failure. Every step runs
# even when an earlier one failed, and each one's outcome is logged.
#
# Environment (all optional):
#   SHIFTDESK_BIN           the shiftdesk command (default: shiftdesk on PATH, else
#                           "python3 -m shiftdesk")
#   SHIFTDESK_CONFIG, SHIFTDESK_DB, SHIFTDESK_ARCHIVE__OUT_DIR, SHIFTDESK_ARCHIVE__KEEP_DAYS
#                           ... as for shiftdesk itself (config file, database, archive folder,
#                           retention); see config.example.toml
#   SHIFTDESK_NIGHTLY_LOG   also append the log to this file
#   SHIFTDESK_ESCALATE_ARGS arguments of `complaints escalate` (e.g. "--site all")
#   SHIFTDESK_STATS_ARGS    arguments of `stats nightly` (default: "--format md")
#   SHIFTDESK_EXPORT_ARGS   extra arguments of `export archive` (e.g. "--include-pii", which
#                           needs security.pii_export_operator in the config for cron)

set -u -o pipefail
umask 077  # logs and archives hold residents' data (A-3)

if [[ -n "${SHIFTDESK_BIN:-}" ]]; then
    read -r -a SD <<< "$SHIFTDESK_BIN"
elif command -v shiftdesk > /dev/null 2>&1; then
    SD=(shiftdesk)
else
    SD=(python3 -m shiftdesk)
fi
read -r -a ESCALATE_ARGS <<< "${SHIFTDESK_ESCALATE_ARGS:-}"
read -r -a STATS_ARGS <<< "${SHIFTDESK_STATS_ARGS:---format md}"
read -r -a EXPORT_ARGS <<< "${SHIFTDESK_EXPORT_ARGS:-}"
LOG_FILE=${SHIFTDESK_NIGHTLY_LOG:-}
STATUS=0
RC=0
OUT=""

log() {
    local line
    line="$(date '+%Y-%m-%dT%H:%M:%S%z') shiftdesk-nightly: $*"
    printf '%s\n' "$line"
    if [[ -n "$LOG_FILE" ]]; then
        printf '%s\n' "$line" >> "$LOG_FILE"
    fi
}

# Keep the most telling exit code: 2 (usage/config) over 1 (any other failure).
record() {
    local code=$1
    if (( code == 2 )); then
        STATUS=2
    elif (( code != 0 && STATUS == 0 )); then
        STATUS=1
    fi
}

# run STEP COMMAND...: runs it with no terminal input, logs its output line by line, sets
# RC (its exit code) and OUT (its standard output).
run() {
    local step=$1 out err line
    shift
    out=$(mktemp) err=$(mktemp)
    "$@" < /dev/null > "$out" 2> "$err"
    RC=$?
    OUT=$(cat "$out")
    while IFS= read -r line || [[ -n "$line" ]]; do log "$step: $line"; done < "$out"
    while IFS= read -r line || [[ -n "$line" ]]; do log "$step: $line"; done < "$err"
    rm -f "$out" "$err"
    if (( RC == 0 )); then
        log "$step: ok"
    else
        log "$step: FAILED (exit $RC)"
        record "$RC"
    fi
}

log "start (${SD[*]})"

# 0. Escalation by time (CP-9: unresolved a week is hot, a month is major; CP-3), so a
#    complaint that crossed a limit overnight shows its new level to the morning shift.
run escalate "${SD[@]}" complaints escalate ${ESCALATE_ARGS[@]+"${ESCALATE_ARGS[@]}"}

# 1. Statistics (S-1, S-2). Skipped with a warning only when this shiftdesk has no such
#    command; any other problem is a failure like every other step's.
help=$("${SD[@]}" stats nightly --help < /dev/null 2>&1)
help_rc=$?
if (( help_rc != 0 )) && grep -qiE "no (such )?command" <<< "$help"; then
    log "stats: WARNING: this shiftdesk has no 'stats nightly' command; statistics skipped"
else
    run stats "${SD[@]}" stats nightly ${STATS_ARGS[@]+"${STATS_ARGS[@]}"}
fi

# 2. The archive of every complete day since the last one (the database remembers it).
#    With SHIFTDESK_EXPORT_ARGS="--site all" (many sites in one PostgreSQL database) it
#    writes one archive per site, one path per line.
run export "${SD[@]}" export archive --since-last --quiet ${EXPORT_ARGS[@]+"${EXPORT_ARGS[@]}"}
export_rc=$RC
archive_paths=$OUT

# 3. Their verification: every hash, size and row count of every archive just written.
if (( export_rc != 0 )); then
    log "verify: skipped (no archive was written)"
elif [[ -z "$archive_paths" ]]; then
    log "verify: skipped (no new complete day since the last archive)"
else
    while IFS= read -r archive_path; do
        [[ -n "$archive_path" ]] && run verify "${SD[@]}" export verify "$archive_path"
    done <<< "$archive_paths"
fi

# 4. The query planner's statistics, refreshed for the day's new rows (issue #24): the
#    terminals' queries do not depend on them, but they keep the planner's numbers true.
run optimize "${SD[@]}" db optimize

log "done (exit $STATUS)"
exit "$STATUS"

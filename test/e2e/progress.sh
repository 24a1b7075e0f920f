# Sourced by install.sh. `with_progress WHAT DIR EXPECTED_MB CMD...` runs CMD and, every 10 s while it
# runs, prints how long it has been running, how many MB it has written under DIR (of about
# EXPECTED_MB) and the stage `progress_stage` (defined by the caller) reads from DIR. Long installs
# (code-server: ~2.5 min, ~630 MB) otherwise print nothing between their first and last line.
# CMD's own output still shows; its exit status is returned.
progress_stage() { :; }
with_progress() {
  local what="$1" dir="$2" expect_mb="$3"
  shift 3
  "$@" &
  local pid=$! start=$SECONDS next=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$next" ]; then
      local mb=0
      [ -d "$dir" ] && mb="$(du -sm "$dir" 2>/dev/null | cut -f1)"
      local stage
      stage="$(progress_stage)"
      echo "e2e install: $what: $((SECONDS - start)) s, ${mb} of ~${expect_mb} MB on disk${stage:+ — $stage}"
      next=$((SECONDS + 10))
    fi
    # One-second steps so the loop ends within a second of the command.
    sleep 1
  done
  wait "$pid"
}

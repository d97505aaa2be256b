package rules

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"
	// The time zone database is embedded so that schedules and spec.timeZone are judged the same
	// on every machine, as the API server does with its bundled fallback.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/workload"
)

func init() {
	Register(&Rule{
		ID:       "job-schedule-invalid",
		Category: finding.CategoryJobBehaviour,
		Severity: finding.SeverityMedium,
		Title:    "CronJob schedule is invalid",
		Description: "The CronJob's schedule (or time zone) is one the CronJob controller cannot use: it " +
			"does not parse with the controller's parser (5 fields, or a descriptor such as @hourly or " +
			"@every 1h), it never fires (\"0 0 31 2 *\"), it sets its time zone inside the schedule with " +
			"TZ= or CRON_TZ= (rejected by the API server on create since Kubernetes 1.29, and together with " +
			"spec.timeZone always), or spec.timeZone names no known zone. In a manifest this is a mistake " +
			"that fails at apply time; in a cluster it is a CronJob created before validation tightened, " +
			"or written by something that bypasses it, and worth a look either way.",
		Remediation: "Write the schedule as 5 cron fields or a descriptor, and set the time zone with " +
			"spec.timeZone (an IANA name such as Etc/UTC).",
		Attack:       []string{"T1053.007"},
		ThreatMatrix: []string{"MS-TA9014"},
		Mitigations:  []string{"M1047"},
		Check:        checkScheduleInvalid,
	})
}

func checkScheduleInvalid(_ *Context, w *workload.Workload) []Result {
	if w.CronJob == nil {
		return nil
	}
	spec := &w.CronJob.Spec
	var out []Result
	si := analyzeSchedule(spec.Schedule)
	switch {
	case spec.Schedule == "":
		out = append(out, Result{Message: "schedule is empty: the API server requires one", Path: "spec.schedule"})
	case si.err != nil:
		out = append(out, Result{Message: "schedule " + quote(spec.Schedule) + " does not parse: " + si.err.Error(), Path: "spec.schedule"})
	case si.never:
		out = append(out, Result{Message: "schedule " + quote(spec.Schedule) + " never fires (no matching date within five years)", Path: "spec.schedule"})
	}
	if strings.Contains(spec.Schedule, "TZ") {
		msg := "schedule " + quote(spec.Schedule) + " sets its time zone with TZ or CRON_TZ: the API server rejects this on create since Kubernetes 1.29 (use spec.timeZone)"
		if spec.TimeZone != nil {
			msg = "schedule " + quote(spec.Schedule) + " sets its time zone with TZ or CRON_TZ while spec.timeZone is " + quote(*spec.TimeZone) + ": the API server rejects using both"
		}
		out = append(out, Result{Message: msg, Path: "spec.schedule"})
	}
	if tz := spec.TimeZone; tz != nil {
		if err := checkTimeZone(*tz); err != nil {
			out = append(out, Result{Message: "timeZone " + quote(*tz) + " is invalid: " + err.Error(), Path: "spec.timeZone"})
		}
	}
	return out
}

// checkTimeZone judges spec.timeZone like the API server: an explicit IANA zone name.
func checkTimeZone(tz string) error {
	switch {
	case tz == "":
		return errors.New("must be unset or a zone name")
	case strings.EqualFold(tz, "Local"):
		return errors.New("must be an explicit zone, not Local")
	}
	for _, part := range strings.Split(tz, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, "-") {
			return errors.New("unknown time zone")
		}
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return errors.New("unknown time zone")
	}
	return nil
}

// scheduleInfo is what jobguard knows about a CronJob schedule.
type scheduleInfo struct {
	// err is the parser's error; the other fields are zero then.
	err error
	// never is true for a schedule that parses but fires on no date.
	never bool
	// minGap is the shortest time between two consecutive runs; perDay is how many runs a day
	// has on a day it runs (0 when unknown, e.g. less than daily).
	minGap time.Duration
	perDay int
}

// frequentGap is the gap at or below which a schedule is frequent.
const frequentGap = 5 * time.Minute

// frequent reports whether the schedule runs at least every frequentGap.
func (si scheduleInfo) frequent() bool {
	return si.err == nil && !si.never && si.minGap > 0 && si.minGap <= frequentGap
}

// describe says how often the schedule runs, e.g. "every 1m" or "as often as 1m apart (48 runs a day)".
func (si scheduleInfo) describe() string {
	s := "every " + shortDuration(si.minGap)
	if si.perDay > 0 && time.Duration(si.perDay)*si.minGap != 24*time.Hour {
		s = "as often as " + shortDuration(si.minGap) + " apart"
	}
	if si.perDay > 0 {
		s += fmt.Sprintf(" (%d runs a day)", si.perDay)
	}
	return s
}

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// scheduleCache memoizes analyzeSchedule: clusters repeat a handful of schedules thousands of times.
var scheduleCache struct {
	sync.Mutex
	m map[string]scheduleInfo
}

// scheduleCacheMax bounds the cache (a watch may see endless distinct schedules).
const scheduleCacheMax = 4096

// analyzeSchedule parses a CronJob schedule with the CronJob controller's parser and computes how
// often it runs.
func analyzeSchedule(schedule string) scheduleInfo {
	scheduleCache.Lock()
	si, ok := scheduleCache.m[schedule]
	scheduleCache.Unlock()
	if ok {
		return si
	}
	si = analyzeScheduleUncached(schedule)
	scheduleCache.Lock()
	if scheduleCache.m == nil {
		scheduleCache.m = map[string]scheduleInfo{}
	}
	if len(scheduleCache.m) < scheduleCacheMax {
		scheduleCache.m[schedule] = si
	}
	scheduleCache.Unlock()
	return si
}

// scheduleEpoch is a fixed reference time (a Monday, UTC): schedules are judged in wall-clock time,
// without daylight-saving jumps.
var scheduleEpoch = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

func analyzeScheduleUncached(schedule string) scheduleInfo {
	if strings.TrimSpace(schedule) == "" {
		return scheduleInfo{err: errors.New("empty spec string")}
	}
	sched, err := parseCronSafely(schedule)
	if err != nil {
		return scheduleInfo{err: err}
	}
	switch s := sched.(type) {
	case cron.ConstantDelaySchedule:
		si := scheduleInfo{minGap: s.Delay}
		if s.Delay > 0 && s.Delay <= 24*time.Hour && (24*time.Hour)%s.Delay == 0 {
			si.perDay = int(24 * time.Hour / s.Delay)
		}
		return si
	case *cron.SpecSchedule:
		utc := *s
		utc.Location = time.UTC
		if utc.Next(scheduleEpoch).IsZero() {
			return scheduleInfo{never: true}
		}
		if gap, perDay, ok := specMinGap(&utc); ok {
			return scheduleInfo{minGap: gap, perDay: perDay}
		}
		return scheduleInfo{minGap: bruteMinGap(&utc)}
	}
	return scheduleInfo{minGap: bruteMinGap(sched)}
}

// parseCronSafely is cron.ParseStandard, which panics on some inputs ("TZ=UTC" with no fields).
func parseCronSafely(schedule string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	return cron.ParseStandard(schedule)
}

// cronStarBit is the bit robfig/cron sets on a field written as "*" or "?".
const cronStarBit = 1 << 63

// specMinGap computes the shortest gap between consecutive runs of a 5-field schedule from its
// fields: within an hour, between two run hours of a day, and across midnight when two consecutive
// days both run. ok is false for schedules with several seconds (never from ParseStandard).
func specMinGap(s *cron.SpecSchedule) (gap time.Duration, perDay int, ok bool) {
	if s.Second&^cronStarBit != 1 {
		return 0, 0, false
	}
	mins := s.Minute &^ cronStarBit & (1<<60 - 1)
	hours := s.Hour &^ cronStarBit & (1<<24 - 1)
	if mins == 0 || hours == 0 {
		return 0, 0, false
	}
	firstM, lastM := bits.TrailingZeros64(mins), 63-bits.LeadingZeros64(mins)
	firstH, lastH := bits.TrailingZeros64(hours), 63-bits.LeadingZeros64(hours)
	best := -1 // minutes
	consider := func(m int) {
		if best < 0 || m < best {
			best = m
		}
	}
	// Within an hour.
	for prev, m := firstM, firstM+1; m <= lastM; m++ {
		if mins&(1<<m) != 0 {
			consider(m - prev)
			prev = m
		}
	}
	// From one run hour's last minute to the next run hour's first minute, on the same day.
	for prev, h := firstH, firstH+1; h <= lastH; h++ {
		if hours&(1<<h) != 0 {
			consider((h-prev)*60 - lastM + firstM)
			prev = h
		}
	}
	// Across midnight, if two consecutive days run.
	if cross := (24-lastH+firstH)*60 - lastM + firstM; best < 0 || cross < best {
		if consecutiveRunDays(s) {
			consider(cross)
		}
	}
	if best < 0 {
		// One run a day at most: the gap is whole days; the exact value does not matter here.
		return 24 * time.Hour, 1, true
	}
	return time.Duration(best) * time.Minute, bits.OnesCount64(mins) * bits.OnesCount64(hours), true
}

// consecutiveRunDays reports whether two consecutive calendar days both run.
func consecutiveRunDays(s *cron.SpecSchedule) bool {
	if s.Dom&cronStarBit != 0 && s.Dow&cronStarBit != 0 && s.Month&^cronStarBit != 0 {
		return true
	}
	prev := false
	for d := scheduleEpoch; d.Year() < scheduleEpoch.Year()+5; d = d.AddDate(0, 0, 1) {
		cur := specDayRuns(s, d)
		if cur && prev {
			return true
		}
		prev = cur
	}
	return false
}

// specDayRuns mirrors robfig/cron's day matching: day of month and day of week are ANDed when one
// of them is "*", ORed otherwise.
func specDayRuns(s *cron.SpecSchedule, t time.Time) bool {
	if s.Month&(1<<uint(t.Month())) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(t.Day())) != 0
	dow := s.Dow&(1<<uint(t.Weekday())) != 0
	if s.Dom&cronStarBit != 0 || s.Dow&cronStarBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// bruteMinGap walks a week of runs: the fallback for schedules the field analysis does not cover.
func bruteMinGap(s cron.Schedule) time.Duration {
	var best time.Duration
	prev := s.Next(scheduleEpoch)
	end := scheduleEpoch.AddDate(0, 0, 8)
	for i := 0; i < 20000 && !prev.IsZero() && prev.Before(end); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		if g := next.Sub(prev); best == 0 || g < best {
			best = g
		}
		prev = next
	}
	return best
}

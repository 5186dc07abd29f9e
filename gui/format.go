package gui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
)

// formatBytes renders a size the way people read it: "3.4 MB" (German "3,4 MB").
// Decimal units, like file managers on Linux and macOS.
func formatBytes(n int64) string {
	if n < 1000 {
		return lang.L("{{.N}} bytes", map[string]any{"N": n})
	}
	units := []string{"kB", "MB", "GB", "TB"}
	v := float64(n)
	u := -1
	for v >= 1000 && u < len(units)-1 {
		v /= 1000
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v >= 100 {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", lang.X("decimal.separator", "."), 1) + " " + units[u]
}

// formatPercent renders 82.4 as "82 %" (German typography uses the same space).
func formatPercent(p float64) string {
	return fmt.Sprintf("%.0f %%", p)
}

// formatWhen renders a moment relative to now: "today at 13:02", "yesterday at 09:15",
// "tomorrow at 13:00", otherwise the date in the language's usual form.
func formatWhen(t, now time.Time) string {
	if t.IsZero() {
		return lang.L("never")
	}
	t = t.In(now.Location())
	clock := t.Format("15:04")
	day := func(x time.Time) time.Time { y, m, d := x.Date(); return time.Date(y, m, d, 0, 0, 0, 0, x.Location()) }
	switch int(math.Round(day(t).Sub(day(now)).Hours() / 24)) { // DST days have 23 or 25 hours
	case 0:
		return lang.L("today at {{.Time}}", map[string]any{"Time": clock})
	case -1:
		return lang.L("yesterday at {{.Time}}", map[string]any{"Time": clock})
	case 1:
		return lang.L("tomorrow at {{.Time}}", map[string]any{"Time": clock})
	case -6, -5, -4, -3, -2, 2, 3, 4, 5, 6:
		return lang.L("{{.Day}} at {{.Time}}", map[string]any{"Day": weekdayName(t.Weekday()), "Time": clock})
	}
	// The translation of the layout is the layout for that language (German 02.01.2006).
	return t.Format(lang.X("layout.date", "2006-01-02")) + " " + clock
}

// formatDate renders a date without time of day.
func formatDate(t time.Time) string {
	return t.Format(lang.X("layout.date", "2006-01-02"))
}

// newMessages renders a count of new messages with the right plural form.
func newMessages(n int) string {
	return lang.N("{{.Count}} new messages", n, map[string]any{"Count": n})
}

// weekdayName returns a translated weekday.
func weekdayName(d time.Weekday) string {
	return []string{
		lang.L("Sunday"), lang.L("Monday"), lang.L("Tuesday"), lang.L("Wednesday"),
		lang.L("Thursday"), lang.L("Friday"), lang.L("Saturday"),
	}[d]
}

// describeSchedule says in words when backups run.
func describeSchedule(s accounts.Schedule) string {
	clock := fmt.Sprintf("%02d:%02d", s.Minute/60, s.Minute%60)
	switch s.Kind {
	case accounts.Hourly:
		return lang.N("every {{.Count}} hours", s.Hours, map[string]any{"Count": s.Hours})
	case accounts.Daily:
		return lang.L("every day at {{.Time}}", map[string]any{"Time": clock})
	case accounts.Weekly:
		return lang.L("every {{.Day}} at {{.Time}}", map[string]any{"Day": weekdayName(s.Weekday), "Time": clock})
	default:
		return lang.L("only when you click “Back up now”")
	}
}

// protocolName is how we write a protocol for people.
func protocolName(p accounts.Protocol) string {
	switch p {
	case accounts.POP3:
		return "POP3"
	case accounts.IMAP:
		return "IMAP"
	}
	return string(p)
}

// fingerprintText groups a hex fingerprint as AB:CD:… in two lines, the way browsers
// show it, so a user can compare it with what the provider publishes.
func fingerprintText(fp string) string {
	fp = strings.ToUpper(fp)
	var parts []string
	for i := 0; i+2 <= len(fp); i += 2 {
		parts = append(parts, fp[i:i+2])
	}
	if len(parts) > 16 {
		return strings.Join(parts[:16], ":") + "\n" + strings.Join(parts[16:], ":")
	}
	return strings.Join(parts, ":")
}

// fyneText words the texts the app shares with the command line (package tr) through
// Fyne's lang, which reads the same catalogs in the language the app shows.
type fyneText struct{}

func (fyneText) L(key string, data ...any) string            { return lang.L(key, data...) }
func (fyneText) N(key string, count int, data ...any) string { return lang.N(key, count, data...) }

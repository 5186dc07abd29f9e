package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// quotaLevel is how worrying a mailbox fill level is.
type quotaLevel int

const (
	quotaOK quotaLevel = iota
	quotaHigh
	quotaFull
)

func levelOf(pct float64) quotaLevel {
	switch {
	case pct >= quotaCritical:
		return quotaFull
	case pct >= quotaWarn:
		return quotaHigh
	}
	return quotaOK
}

// quotaBar is a progress bar that turns amber from 80 % and red from 95 %. Fyne's bar
// draws in the theme's primary colour, so the bar sits in a theme override whose
// primary colour is the warning or error colour.
type quotaBar struct {
	bar   *widget.ProgressBar
	over  *container.ThemeOverride
	level quotaLevel
	pct   float64
}

func newQuotaBar() *quotaBar {
	q := &quotaBar{bar: widget.NewProgressBar()}
	q.bar.TextFormatter = func() string { return formatPercent(q.pct) }
	q.over = container.NewThemeOverride(q.bar, tintTheme{primary: theme.ColorNamePrimary})
	return q
}

func (q *quotaBar) set(pct float64) {
	q.pct = pct
	q.level = levelOf(pct)
	name := theme.ColorNamePrimary
	switch q.level {
	case quotaHigh:
		name = theme.ColorNameWarning
	case quotaFull:
		name = theme.ColorNameError
	}
	q.over.Theme = tintTheme{primary: name}
	q.bar.SetValue(min(pct, 100) / 100)
	q.over.Refresh()
}

// tintTheme is the app's theme with the primary colour replaced.
type tintTheme struct {
	primary fyne.ThemeColorName
}

func (t tintTheme) base() fyne.Theme {
	if app := fyne.CurrentApp(); app != nil {
		return app.Settings().Theme()
	}
	return theme.DefaultTheme()
}

func (t tintTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNamePrimary {
		n = t.primary
	}
	return t.base().Color(n, v)
}

func (t tintTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base().Font(s) }
func (t tintTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }
func (t tintTheme) Size(n fyne.ThemeSizeName) float32       { return t.base().Size(n) }

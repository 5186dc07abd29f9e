package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// choice is one option of a choiceList: a short label and its consequence.
type choice struct {
	label, detail string
}

// choiceList is a set of radio options, each followed by its consequence in smaller
// text. Fyne's RadioGroup has no room for an explanation under each option, so every
// option is a one-item RadioGroup and the list keeps exactly one selected.
type choiceList struct {
	radios   []*widget.RadioGroup
	labels   []*widget.Label // the option texts, changeable
	extra    []*fyne.Container
	box      *fyne.Container
	selected int // -1: none
	onChange func(int)
	setting  bool
}

func newChoiceList(choices []choice, onChange func(int)) *choiceList {
	l := &choiceList{selected: -1, onChange: onChange, box: container.NewVBox()}
	for i, c := range choices {
		radio := widget.NewRadioGroup([]string{" "}, func(s string) { l.onTapped(i, s) })
		radio.Required = true // tapping the selected option again keeps it selected
		label := &widget.Label{Text: c.label, Wrapping: fyne.TextWrapWord}
		detail := &widget.Label{Text: c.detail, Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
		extra := container.NewVBox()
		l.radios = append(l.radios, radio)
		l.labels = append(l.labels, label)
		l.extra = append(l.extra, extra)
		body := container.New(layout.NewCustomPaddedVBoxLayout(0), label, detail, extra)
		l.box.Add(container.NewBorder(nil, nil, container.NewVBox(radio), nil, body))
	}
	return l
}

func (l *choiceList) onTapped(i int, s string) {
	if l.setting || s == "" {
		return
	}
	l.setSelected(i)
	if l.onChange != nil {
		l.onChange(i)
	}
}

// setSelected selects option i (-1 for none) without calling onChange.
func (l *choiceList) setSelected(i int) {
	l.setting = true
	defer func() { l.setting = false }()
	l.selected = i
	for j, r := range l.radios {
		if j == i {
			r.SetSelected(r.Options[0])
		} else {
			r.SetSelected("")
		}
	}
}

// tap selects option i as if the user clicked it (tests).
func (l *choiceList) tap(i int) {
	l.radios[i].SetSelected(l.radios[i].Options[0])
}

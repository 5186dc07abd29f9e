package gui

import "testing"

func TestRunCommand(t *testing.T) {
	tests := []struct {
		exe, want string
	}{
		{`C:\Users\anna\AppData\Local\Programs\Postfach\Postfach.exe`,
			`"C:\Users\anna\AppData\Local\Programs\Postfach\Postfach.exe" --start-hidden`},
		{`C:\Users\Jürgen Groß\AppData\Local\Programs\Postfach\Postfach.exe`,
			`"C:\Users\Jürgen Groß\AppData\Local\Programs\Postfach\Postfach.exe" --start-hidden`},
		{`D:\Tragbar\Postfach.exe`, `"D:\Tragbar\Postfach.exe" --start-hidden`},
	}
	for _, tt := range tests {
		t.Run(tt.exe, func(t *testing.T) {
			if got := runCommand(tt.exe); got != tt.want {
				t.Errorf("runCommand(%q) = %q, want %q", tt.exe, got, tt.want)
			}
		})
	}
}

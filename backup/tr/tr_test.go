package tr

import "testing"

func TestChoose(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		display []string
		want    string
	}{
		{"nothing set", nil, nil, English},
		{"LANG German", map[string]string{"LANG": "de_DE.UTF-8"}, nil, German},
		{"LANG Austrian with modifier", map[string]string{"LANG": "de_AT@euro"}, nil, German},
		{"LANG English", map[string]string{"LANG": "en_GB.UTF-8"}, nil, English},
		{"LANG French", map[string]string{"LANG": "fr_FR.UTF-8"}, nil, English},
		{"C", map[string]string{"LANG": "C"}, nil, English},
		{"C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, nil, English},
		{"POSIX", map[string]string{"LC_ALL": "POSIX", "LANG": "de_DE.UTF-8"}, nil, English},
		{"LC_ALL over LANG", map[string]string{"LC_ALL": "de_DE.UTF-8", "LANG": "en_US.UTF-8"}, nil, German},
		{"LC_MESSAGES over LANG", map[string]string{"LC_MESSAGES": "en_US.UTF-8", "LANG": "de_DE.UTF-8"}, nil, English},
		{"LC_ALL over LC_MESSAGES", map[string]string{"LC_ALL": "de_CH.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, nil, German},
		{"LANGUAGE list", map[string]string{"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr:de:en"}, nil, German},
		{"LANGUAGE over LANG", map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "en_US"}, nil, English},
		{"LANGUAGE ignored under C", map[string]string{"LANG": "C", "LANGUAGE": "de"}, nil, English},
		{"LANGUAGE ignored without locale", map[string]string{"LANGUAGE": "de"}, nil, English},
		{"override", map[string]string{"POSTFACH_LANG": "de", "LANG": "C"}, nil, German},
		{"override English", map[string]string{"POSTFACH_LANG": "EN", "LANG": "de_DE.UTF-8"}, nil, English},
		{"unknown override ignored", map[string]string{"POSTFACH_LANG": "fr", "LANG": "de_DE.UTF-8"}, nil, German},
		{"Windows German", nil, []string{"de-DE", "en-US"}, German},
		{"Windows first spoken", map[string]string{"LANG": "en_US.UTF-8"}, []string{"fr-FR", "de-CH"}, German},
		{"Windows other", nil, []string{"fr-FR"}, English},
		{"Windows none", map[string]string{"LANG": "de_DE.UTF-8"}, []string{}, English},
		{"Windows override", map[string]string{"POSTFACH_LANG": "en"}, []string{"de-DE"}, English},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Choose(func(k string) string { return tc.env[k] }, tc.display); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPrinter(t *testing.T) {
	tests := []struct {
		lang, got, want string
	}{
		{German, New(German).L("Dry run: nothing was changed."), "Probelauf: Es wurde nichts verändert."},
		{English, New(English).L("Dry run: nothing was changed."), "Dry run: nothing was changed."},
		{"fr", New("fr").L("Dry run: nothing was changed."), "Dry run: nothing was changed."},
		{German, New(German).N("{{.Count}} messages", 1, map[string]any{"Count": 1}), "1 Nachricht"},
		{German, New(German).N("{{.Count}} messages", 3, map[string]any{"Count": 3}), "3 Nachrichten"},
		{English, New(English).N("{{.Count}} messages", 1, map[string]any{"Count": 1}), "1 message"},
		{German, New(German).L("not in any catalog: {{.Name}}", map[string]any{"Name": "x"}), "not in any catalog: x"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.lang, tc.got, tc.want)
		}
	}
}

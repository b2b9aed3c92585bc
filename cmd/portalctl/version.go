package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/vipps"
)

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Show the versions of portalctl, the SDK and Go",
		Example: "  portalctl version\n  portalctl version --json",
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := struct {
				Version    string `json:"version"`
				SDKVersion string `json:"sdkVersion"`
				GoVersion  string `json:"goVersion"`
			}{version(), vipps.Version, runtime.Version()}
			return a.done(v, fmt.Sprintf("portalctl %s (SDK %s, %s)", v.Version, v.SDKVersion, v.GoVersion))
		},
	}
}

// completionCmd writes root's completion script for a shell.
func completionCmd(root *cobra.Command) *cobra.Command {
	shells := map[string]func() error{
		"bash":       func() error { return root.GenBashCompletionV2(root.OutOrStdout(), true) },
		"zsh":        func() error { return root.GenZshCompletion(root.OutOrStdout()) },
		"fish":       func() error { return root.GenFishCompletion(root.OutOrStdout(), true) },
		"powershell": func() error { return root.GenPowerShellCompletionWithDesc(root.OutOrStdout()) },
	}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Write the shell completion script",
		Long: "completion writes the script that completes portalctl's commands, flags and values in a shell.\n" +
			"Load it in the current shell, or install it where the shell looks for completions.",
		Example: "  portalctl completion bash > ~/.local/share/bash-completion/completions/portalctl\n" +
			"  source <(portalctl completion bash)\n" +
			"  portalctl completion zsh > \"${fpath[1]}/_portalctl\"\n" +
			"  portalctl completion fish > ~/.config/fish/completions/portalctl.fish\n" +
			"  portalctl completion powershell | Out-String | Invoke-Expression",
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)(cmd, args); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return shells[args[0]]() },
	}
}

// noArgs refuses arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return &usageError{err}
	}
	return nil
}

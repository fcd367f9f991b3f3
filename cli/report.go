package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
)

func newReport() *cobra.Command {
	return &cobra.Command{
		Use:   "report FILE.jsonl",
		Short: "Summarize a saved fleet run (probe --from-file --jsonl)",
		Long: "report reads the JSON lines a fleet run wrote (ehlo probe --from-file --jsonl, or its --resume file) " +
			"and prints the table of probe --summary: targets by status, TLS versions and ciphers, certificates, " +
			"those ending within 30 days, AUTH offered before TLS, the slowest. - reads stdin.",
		Example: "  ehlo probe --from-file hosts.txt --jsonl > run.jsonl\n  ehlo report run.jsonl",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("report needs one FILE.jsonl, a fleet run's JSON lines (- for standard input)"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			in, name, err := openInput(args[0], cmd.InOrStdin(), "report")
			if err != nil {
				return err
			}
			defer in.Close()
			sum, bad, err := summarize(in, time.Now())
			if err != nil {
				return fmt.Errorf("reading %s: %s", name, client.Explain(err))
			}
			if bad > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "ehlo: %s: %s, left out\n", name, notRunLines(bad))
			}
			if sum.Total == 0 { // an empty table would say nothing true
				err := fmt.Errorf("%s holds no target of a fleet run (the lines of ehlo probe --from-file --jsonl)", name)
				fmt.Fprintf(cmd.ErrOrStderr(), "ehlo: %s\n", err)
				return reported(exitFailed, err)
			}
			return sum.WriteTable(cmd.OutOrStdout())
		},
	}
}

// notRunLines says how many lines were not a run's JSON.
func notRunLines(n int) string {
	if n == 1 {
		return "1 line is not a fleet run's JSON"
	}
	return fmt.Sprintf("%d lines are not a fleet run's JSON", n)
}

// summarize counts a saved run's lines; bad counts those that are not one.
func summarize(r io.Reader, now time.Time) (*client.FleetSummary, int, error) {
	sum := client.NewFleetSummary(now)
	br := bufio.NewReaderSize(r, 64<<10)
	bad := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && len(line) <= maxResumeLine {
			var j struct {
				client.FleetJSON
				Domain   string                    `json:"domain"`
				Verdicts []string                  `json:"verdicts"`
				DANE     struct{ Delivers string } `json:"dane"`
				STS      struct{ Delivers string } `json:"sts"`
				Reused   []string                  `json:"reused"`
			}
			if json.Unmarshal(line, &j) == nil && j.Status != "" {
				if j.Domain != "" {
					sum.AddDomainLine(j.FleetJSON, j.Verdicts, j.DANE.Delivers, j.STS.Delivers, len(j.Reused))
				} else {
					sum.Add(j.FleetJSON)
				}
			} else if len(bytesTrim(line)) > 0 {
				bad++
			}
		}
		if errors.Is(err, io.EOF) {
			return sum, bad, nil
		}
		if err != nil {
			return sum, bad, err
		}
	}
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

package ranking

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// WriteCSV writes r as a CSV table for Excel and WPS: UTF-8 with a byte-order mark (without
// it Excel reads the Chinese as GBK), CRLF line endings, one heading row in Chinese, then
// one row per department in the ranking's order. The rank column says 样本不足 for a
// department not ranked; rates are percentages with one decimal ("83.3%"), the average
// time ratio has three decimals, per-100 figures and the score one. Figures undefined for
// want of decided cases are empty. A code or name that a spreadsheet would take for a
// formula (starting with = + - @) is prefixed with an apostrophe.
//
// A provisional ranking's first line, after the byte-order mark and before the heading, is
// one cell saying that it is provisional (暂定), not to be published as the result, and the
// instant its figures stand at: a spreadsheet shows it in A1, above the table.
func WriteCSV(w io.Writer, r Ranking) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("ranking: write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	var rows [][]string
	if note := r.provisionalNote(); note != "" {
		rows = append(rows, []string{note})
	}
	rows = append(rows, []string{hRank, hCode, hName, hDecided, hOnTime, hStatutory, hEarly, hRatio, hRed, hYellow, hOpen, hScore})
	for _, s := range r.Departments {
		c := display(s)
		rows = append(rows, []string{
			c.Rank, inert(c.Code), inert(c.Name), c.Decided,
			c.OnTime, c.Statutory, c.Early, c.Ratio, c.Red, c.Yellow, c.Open, c.Score,
		})
	}
	if err := cw.WriteAll(rows); err != nil { // WriteAll flushes
		return fmt.Errorf("ranking: write csv: %w", err)
	}
	return nil
}

// inert defuses a text cell that Excel or WPS would evaluate as a formula (CSV injection).
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

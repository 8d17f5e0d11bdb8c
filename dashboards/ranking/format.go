package ranking

import "strconv"

// The column headings of the CSV and the HTML table, in Chinese for the public.
const (
	hRank      = "排名"
	hCode      = "部门代码"
	hName      = "部门"
	hDecided   = "办结数"
	hOnTime    = "按时办结率"
	hStatutory = "法定时限内办结率"
	hEarly     = "提前办结率"
	hRatio     = "平均用时比"
	hRed       = "每百件红牌"
	hYellow    = "每百件黄牌"
	hOpen      = "超期未办结"
	hScore     = "综合得分"
)

// smallSample is shown for a department not ranked for want of decided cases.
const smallSample = "样本不足"

// cells are one standing's figures as displayed; the rate-like ones are empty when the
// department decided nothing, since they are then undefined.
type cells struct {
	Rank, Code, Name, Decided                    string
	OnTime, Statutory, Early, Ratio, Red, Yellow string
	Open, Score                                  string
}

func display(s Standing) cells {
	c := cells{
		Rank:    smallSample,
		Code:    s.Department,
		Name:    s.Name,
		Decided: strconv.Itoa(s.Decided),
		Open:    strconv.Itoa(s.OpenOverdue),
	}
	if s.Ranked && s.Rank != nil {
		c.Rank = strconv.Itoa(*s.Rank)
	}
	if c.Name == "" {
		c.Name = s.Department
	}
	if s.Decided > 0 {
		c.OnTime, c.Statutory, c.Early = percent(s.OnTimeRate), percent(s.StatutoryRate), percent(s.EarlyRate)
		c.Ratio = strconv.FormatFloat(s.AvgTimeRatio, 'f', 3, 64)
		c.Red, c.Yellow = oneDecimal(s.RedPer100), oneDecimal(s.YellowPer100)
		c.Score = oneDecimal(s.Score)
	}
	return c
}

// percent shows a rate, already rounded to 3 decimals, as a percentage with 1 decimal
// (0.833 → "83.3%"): the same precision, read more easily, and taken by Excel and WPS as
// the number 0.833 formatted as a percentage.
func percent(rate float64) string { return strconv.FormatFloat(rate*100, 'f', 1, 64) + "%" }

func oneDecimal(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

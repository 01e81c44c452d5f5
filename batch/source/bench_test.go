package source_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/onboardhq/onboard/batch/source"
)

// benchFile makes an HR export of n rows.
func benchFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("employee_id,first_name,last_name,email,phone,department,manager,notes\r\n")
	names := []string{"José", "Müller", "Łukasz", "Ørsted", "Anne-Marie", "O'Brien", "名前", "Smith"}
	for i := range n {
		fmt.Fprintf(&b, "E%05d,%s,%s,person%d@example.com,+49 30 %07d,Sales,M%03d,", i, names[i%len(names)], names[(i+3)%len(names)], i, i, i%100)
		if i%50 == 0 {
			b.WriteString("\"moved from Berlin,\r\nstarts Monday\"")
		}
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func BenchmarkReader(b *testing.B) {
	utf8File := benchFile(10_000)
	// The same rows as Excel on Polish Windows writes them: every row
	// goes through a code page decoder.
	cp1250 := bytes.ReplaceAll(bytes.ReplaceAll(utf8File, []byte("名前"), []byte("Imię")), []byte("Ørsted"), []byte("Dvořák"))
	cp1250 = encodeOrDie(charmap.Windows1250, string(cp1250))
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"utf-8", utf8File},
		{"windows-1250", cp1250},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.data)))
			for b.Loop() {
				r, err := source.New("bench", bytes.NewReader(bm.data), int64(len(bm.data)), nil, source.Options{})
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for {
					row, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil || row.Err != nil {
						b.Fatal(err, row.Err)
					}
					rows++
				}
				if rows != 10_000 {
					b.Fatalf("%d rows", rows)
				}
			}
		})
	}
}

// BenchmarkWorkbook reads a 100,000-row workbook written by a streaming
// writer. It reports the heap in use after the read (MB-heap): the sheet is
// streamed, so that stays far below the workbook's unpacked size. A
// benchmark, not a test: timings and memory are for people to read.
func BenchmarkWorkbook(b *testing.B) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	must(b, err)
	must(b, sw.SetRow("A1", []any{"Email", "First", "Last", "Department", "Start"}))
	for i := range 100_000 {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		must(b, sw.SetRow(cell, []any{fmt.Sprintf("p%d@example.com", i), "José", "Müller", "Sales", 45306 + i%1000}))
	}
	must(b, sw.Flush())
	data := workbookBytes(b, f)
	f.Close()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		r, err := source.New("bench.xlsx", bytes.NewReader(data), int64(len(data)), nil, source.Options{})
		must(b, err)
		n := 0
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 100_000 {
			b.Fatalf("%d rows", n)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap")
		r.Close()
	}
}

// Package skelgenrt is the run-time code every Go light skeleton carries. skelgen splices
// these files, after the package clause and imports, into the skeleton it writes, with the
// placeholder prefix of every package-level name (SkelgenRt exported, skelgenRt not)
// replaced by the object's (Minimal, minimal): several skeletons then share one package.
//
// This file is the only one skelgen does not splice: it stands in for what each skeleton
// defines itself (its name, its map and program tables, the embedded loader), as an
// object with no maps and no programs, so the package builds and tests on its own.
package skelgenrt

// skelgenRtObject is the object's name, which errors start with.
const skelgenRtObject = "skelgenrt"

// skelgenRtMapInfos describes each map as compiled.
var skelgenRtMapInfos = [...]skelgenRtMapInfo{}

// skelgenRtProgInfos describes each program as compiled.
var skelgenRtProgInfos = [...]skelgenRtProgInfo{}

// The loader: its context size, instructions, data, and what each step of its plan does.
const (
	skelgenRtABIVersion = 1
	skelgenRtCtxSize    = 48
)

const skelgenRtLoaderInsns = ""

const skelgenRtLoaderData = ""

var skelgenRtLoaderSteps = [...]string{}

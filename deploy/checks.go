package deploy

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/onboardhq/onboard/batch/job"
	"github.com/onboardhq/onboard/providers/all"
)

// Set is the manifests of one folder, which refer to each other by name.
type Set []Object

// find returns the object of kind and name, or nil.
func (s Set) find(kind, name string) any {
	for _, o := range s {
		if o.Kind == kind && o.Name == name {
			return o.Obj
		}
	}
	return nil
}

// Image's user (distroless nonroot) and the memory the benchmark measured:
// bench/results.md, peak RSS of `onboard run` over 1,000,000 rows.
const (
	NonRootUID     = 65532
	measuredPeakMi = 56
)

// CheckCronJob returns what is wrong with the nightly CronJob, in words.
func (s Set) CheckCronJob(cj *batchv1.CronJob) []string {
	var p []string
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		p = append(p, fmt.Sprintf("concurrencyPolicy is %q, not Forbid: two runs of one job must never overlap", cj.Spec.ConcurrencyPolicy))
	}
	if d := cj.Spec.StartingDeadlineSeconds; d == nil || *d <= 0 {
		p = append(p, "startingDeadlineSeconds is not set: a run missed for hours would start whenever the cluster is back")
	}
	if len(strings.Fields(cj.Spec.Schedule)) != 5 {
		p = append(p, fmt.Sprintf("schedule %q is not five cron fields", cj.Spec.Schedule))
	}
	js := cj.Spec.JobTemplate.Spec
	if js.BackoffLimit == nil {
		p = append(p, "jobTemplate backoffLimit is not set (the default 6 retries a failing import six times)")
	}
	if js.CompletionMode != nil && *js.CompletionMode == batchv1.IndexedCompletion {
		p = append(p, "the nightly job is one run, not Indexed")
	}
	return append(p, s.checkPod(js.Template.Spec, false)...)
}

// CheckIndexedJob returns what is wrong with the many-tenants Job.
func (s Set) CheckIndexedJob(j *batchv1.Job) []string {
	var p []string
	if j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != batchv1.IndexedCompletion {
		return []string{"completionMode is not Indexed"}
	}
	if j.Spec.Completions == nil || *j.Spec.Completions < 1 {
		p = append(p, "completions is not set: it is the number of job files")
	}
	if j.Spec.Parallelism == nil || *j.Spec.Parallelism < 1 {
		p = append(p, "parallelism is not set")
	}
	if j.Spec.BackoffLimit == nil && j.Spec.BackoffLimitPerIndex == nil {
		p = append(p, "neither backoffLimit nor backoffLimitPerIndex is set")
	}
	return append(p, s.checkPod(j.Spec.Template.Spec, true)...)
}

// checkPod checks the pod of either job: the one container runs onboard as
// non-root on a read-only root filesystem, reads its job file from a
// ConfigMap and its credentials from a Secret, and writes its ledger and
// reports to a PersistentVolumeClaim.
func (s Set) checkPod(ps corev1.PodSpec, indexed bool) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if ps.RestartPolicy != corev1.RestartPolicyNever {
		add("restartPolicy is %q, not Never: a restarted container would find its reports folder taken", ps.RestartPolicy)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		add("automountServiceAccountToken is not false: onboard never talks to the cluster")
	}
	if len(ps.Containers) != 1 {
		return append(p, fmt.Sprintf("%d containers, want one", len(ps.Containers)))
	}
	c := ps.Containers[0]
	p = append(p, checkSecurity(ps.SecurityContext, c.SecurityContext)...)
	p = append(p, checkResources(c.Resources)...)

	// Volumes and where they are mounted.
	volumes := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		volumes[v.Name] = v
	}
	var pvcMounts []string
	configMaps := map[string]*corev1.ConfigMap{} // mount path → ConfigMap
	tmp := false
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			add("volumeMount %s names no volume", m.Name)
			continue
		}
		switch {
		case v.PersistentVolumeClaim != nil:
			if s.find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName) == nil {
				add("volume %s: no PersistentVolumeClaim %s among the manifests", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
			if m.ReadOnly {
				add("volume %s: the ledger and reports volume is mounted read-only", v.Name)
			}
			pvcMounts = append(pvcMounts, m.MountPath)
		case v.ConfigMap != nil:
			cm, _ := s.find("ConfigMap", v.ConfigMap.Name).(*corev1.ConfigMap)
			if cm == nil {
				add("volume %s: no ConfigMap %s among the manifests", v.Name, v.ConfigMap.Name)
				continue
			}
			if !m.ReadOnly {
				add("volume %s: the job files are mounted writable", v.Name)
			}
			configMaps[m.MountPath] = cm
		case v.EmptyDir != nil && m.MountPath == "/tmp":
			tmp = true
		}
	}
	if len(pvcMounts) == 0 {
		add("no PersistentVolumeClaim is mounted: the ledger and the reports would die with the pod")
	}
	if !tmp {
		add("no emptyDir at /tmp: the root filesystem is read-only")
	}
	underPVC := func(p string) bool {
		return slices.ContainsFunc(pvcMounts, func(m string) bool { return strings.HasPrefix(path.Clean(p), path.Clean(m)+"/") })
	}

	// Environment: what the args may refer to as $(NAME), and which
	// variables come from a Secret.
	defined := map[string]bool{}
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		defined[e.Name] = true
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			sec, _ := s.find("Secret", ref.Name).(*corev1.Secret)
			switch {
			case sec == nil:
				add("env %s: no Secret %s among the manifests", e.Name, ref.Name)
			case !secretHas(sec, ref.Key):
				add("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
			default:
				fromSecret[e.Name] = true
			}
		}
		if e.Value != "" && strings.Contains(strings.ToUpper(e.Name), "PASSWORD") {
			add("env %s: a password written into the manifest; take it from a Secret", e.Name)
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		sec, _ := s.find("Secret", ef.SecretRef.Name).(*corev1.Secret)
		if sec == nil {
			add("envFrom: no Secret %s among the manifests", ef.SecretRef.Name)
			continue
		}
		for k := range sec.StringData {
			fromSecret[ef.Prefix+k], defined[ef.Prefix+k] = true, true
		}
		for k := range sec.Data {
			fromSecret[ef.Prefix+k], defined[ef.Prefix+k] = true, true
		}
	}
	if len(fromSecret) == 0 {
		add("no credentials from a Secret (env secretKeyRef or envFrom secretRef)")
	}
	if indexed {
		defined["JOB_COMPLETION_INDEX"] = true // set by the Job controller
	}

	// Arguments.
	if len(c.Command) > 0 {
		add("command is set (%v): the image's entrypoint is onboard; give args only", c.Command)
	}
	args, err := parseArgs(c.Args)
	if err != nil {
		return append(p, err.Error())
	}
	for _, ref := range envRef.FindAllStringSubmatch(strings.Join(c.Args, " "), -1) {
		if !defined[ref[1]] {
			add("args refer to $(%s), which the container's environment does not define (Kubernetes would pass it as written)", ref[1])
		}
	}
	if args.flags["log-format"] != "json" {
		add("args: --log-format is %q, want json", args.flags["log-format"])
	}
	out := args.flags["out"]
	switch {
	case out == "":
		add("args: no --out: the default reports folder is next to the job file, in a read-only ConfigMap")
	case !underPVC(out):
		add("args: --out %s is not on the PersistentVolumeClaim (%v)", out, pvcMounts)
	case !strings.Contains(out, "$("):
		add("args: --out %s is the same folder for every run; onboard refuses to overwrite reports (use $(POD_NAME))", out)
	}
	if l := args.flags["ledger"]; l != "" && !underPVC(l) {
		add("args: --ledger %s is not on the PersistentVolumeClaim", l)
	}

	// The job file(s): in a mounted ConfigMap, valid for onboard, with
	// every ${NAME} they read supplied from a Secret.
	jobArg := args.flags["job"]
	if jobArg == "" {
		return append(p, "args: no --job")
	}
	dir, file := path.Split(jobArg)
	cm := configMaps[path.Clean(dir)]
	if cm == nil {
		return append(p, fmt.Sprintf("args: --job %s is not in a mounted ConfigMap", jobArg))
	}
	var files []string
	if indexed {
		if !strings.Contains(file, "$(JOB_COMPLETION_INDEX)") {
			return append(p, fmt.Sprintf("args: --job %s does not depend on $(JOB_COMPLETION_INDEX)", jobArg))
		}
		files = indexedFiles(cm, file)
	} else {
		files = []string{file}
	}
	ledgers := map[string]string{}
	for _, f := range files {
		text, ok := cm.Data[f]
		if !ok {
			add("ConfigMap %s has no %s", cm.Name, f)
			continue
		}
		j, err := job.Parse([]byte(text), func(string) string { return "" })
		if err != nil {
			add("ConfigMap %s, %s: %v", cm.Name, f, err)
			continue
		}
		if _, err := all.Registry().Get(j.Provider); err != nil {
			add("ConfigMap %s, %s: %v", cm.Name, f, err)
		}
		for _, name := range j.Unset { // every ${NAME}, as none is set here
			if !fromSecret[name] {
				add("ConfigMap %s, %s reads ${%s}, which no Secret supplies", cm.Name, f, name)
			}
		}
		if j.Input == "" || !underPVC(j.Input) {
			add("ConfigMap %s, %s: input %q is not an absolute path on the PersistentVolumeClaim", cm.Name, f, j.Input)
		}
		ledger := firstNonEmpty(args.flags["ledger"], j.Ledger)
		switch {
		case args.flags["no-ledger"] != "":
			add("args: --no-ledger: retries and the next night would create people twice")
		case ledger == "":
			add("ConfigMap %s, %s: no ledger: (nor --ledger): the default is next to the job file, in a read-only ConfigMap", cm.Name, f)
		case !underPVC(ledger):
			add("ConfigMap %s, %s: ledger %s is not on the PersistentVolumeClaim", cm.Name, f, ledger)
		case ledgers[ledger] != "":
			add("ConfigMap %s: %s and %s share the ledger %s", cm.Name, ledgers[ledger], f, ledger)
		}
		ledgers[ledger] = f
	}
	return p
}

// indexedFiles returns the ConfigMap's keys an Indexed Job's pods read,
// job-0.yaml, job-1.yaml, ..., as many as the ConfigMap has in a row.
func indexedFiles(cm *corev1.ConfigMap, pattern string) []string {
	var files []string
	for i := 0; ; i++ {
		f := strings.ReplaceAll(pattern, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i))
		if _, ok := cm.Data[f]; !ok {
			return files
		}
		files = append(files, f)
	}
}

// JobFiles is the number of job files an Indexed Job's ConfigMap holds
// for its pods, for comparing with completions.
func (s Set) JobFiles(j *batchv1.Job) int {
	ps := j.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		return 0
	}
	args, err := parseArgs(ps.Containers[0].Args)
	if err != nil {
		return 0
	}
	dir, file := path.Split(args.flags["job"])
	for _, m := range ps.Containers[0].VolumeMounts {
		if path.Clean(m.MountPath) != path.Clean(dir) {
			continue
		}
		for _, v := range ps.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				if cm, ok := s.find("ConfigMap", v.ConfigMap.Name).(*corev1.ConfigMap); ok {
					return len(indexedFiles(cm, file))
				}
			}
		}
	}
	return 0
}

func checkSecurity(pod *corev1.PodSecurityContext, c *corev1.SecurityContext) []string {
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	var p []string
	// The container's settings win over the pod's.
	nonRoot := firstSet(c.RunAsNonRoot, pod.RunAsNonRoot)
	user := firstSet(c.RunAsUser, pod.RunAsUser)
	if nonRoot == nil || !*nonRoot {
		p = append(p, "runAsNonRoot is not true")
	}
	if user == nil || *user != NonRootUID {
		p = append(p, fmt.Sprintf("runAsUser is not %d (the image's nonroot user)", NonRootUID))
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		p = append(p, "readOnlyRootFilesystem is not true")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		p = append(p, "allowPrivilegeEscalation is not false")
	}
	if c.Privileged != nil && *c.Privileged {
		p = append(p, "the container is privileged")
	}
	if c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") || len(c.Capabilities.Add) > 0 {
		p = append(p, "capabilities: not drop [ALL] with nothing added")
	}
	sp := firstSet(c.SeccompProfile, pod.SeccompProfile)
	if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		p = append(p, "seccompProfile is not RuntimeDefault")
	}
	if pod.FSGroup == nil || *pod.FSGroup != NonRootUID {
		p = append(p, fmt.Sprintf("fsGroup is not %d: the volume may not be writable by the image's user", NonRootUID))
	}
	return p
}

func checkResources(r corev1.ResourceRequirements) []string {
	var p []string
	peak := resource.MustParse(strconv.Itoa(measuredPeakMi) + "Mi")
	req, okReq := r.Requests[corev1.ResourceMemory]
	lim, okLim := r.Limits[corev1.ResourceMemory]
	switch {
	case !okReq || !okLim:
		p = append(p, "memory request and limit are not both set")
	case req.Cmp(peak) < 0:
		p = append(p, fmt.Sprintf("memory request %s is below the %s a run of 1,000,000 rows peaks at (bench/results.md)", req.String(), peak.String()))
	case lim.Cmp(req) < 0:
		p = append(p, "memory limit below the request")
	}
	if _, ok := r.Requests[corev1.ResourceCPU]; !ok {
		p = append(p, "no cpu request")
	}
	return p
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

type parsedArgs struct {
	command string
	flags   map[string]string // "no-ledger" → "true" for a bool flag
}

// boolFlags are onboard run's flags that take no value.
var boolFlags = map[string]bool{"sandbox": true, "bom": true, "no-ledger": true, "recheck": true, "quiet": true, "verbose": true}

// parseArgs reads onboard's arguments: the command, then --flag value or
// --flag=value.
func parseArgs(args []string) (parsedArgs, error) {
	pa := parsedArgs{flags: map[string]string{}}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return pa, fmt.Errorf("args %v: the first is not onboard's command", args)
	}
	pa.command = args[0]
	if pa.command != "run" {
		return pa, fmt.Errorf("args: command %q, want run", pa.command)
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return pa, fmt.Errorf("args: %q is not a --flag", a)
		}
		name, value, ok := strings.Cut(a[2:], "=")
		if !ok {
			if boolFlags[name] {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			} else {
				return pa, fmt.Errorf("args: --%s has no value", name)
			}
		}
		pa.flags[name] = value
	}
	return pa, nil
}

// Flags returns the --flag names of the pod's container args, for
// comparing with `onboard run --help`.
func Flags(ps corev1.PodSpec) []string {
	var names []string
	for _, c := range ps.Containers {
		for _, a := range c.Args {
			if name, ok := strings.CutPrefix(a, "--"); ok {
				name, _, _ = strings.Cut(name, "=")
				names = append(names, name)
			}
		}
	}
	return names
}

func secretHas(s *corev1.Secret, key string) bool {
	_, a := s.StringData[key]
	_, b := s.Data[key]
	return a || b
}

func firstSet[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

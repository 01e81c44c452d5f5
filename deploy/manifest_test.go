package deploy

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const manifests = "kubernetes"

// load reads the shipped manifests; every one of them must decode strictly.
func load(t *testing.T) Set {
	t.Helper()
	objs, err := Load(manifests)
	if err != nil {
		t.Fatal(err)
	}
	return Set(objs)
}

func TestManifestsDecodeStrictly(t *testing.T) {
	set := load(t)
	kinds := map[string]int{}
	for _, o := range set {
		kinds[o.Kind]++
	}
	for _, k := range []string{"CronJob", "Job", "ConfigMap", "Secret", "PersistentVolumeClaim"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in %s/", k, manifests)
		}
	}
}

func TestCronJob(t *testing.T) {
	set := load(t)
	n := 0
	for _, o := range set {
		if cj, ok := o.Obj.(*batchv1.CronJob); ok {
			n++
			for _, p := range set.CheckCronJob(cj) {
				t.Errorf("%s: %s", o, p)
			}
		}
	}
	if n == 0 {
		t.Fatal("no CronJob")
	}
}

func TestIndexedJob(t *testing.T) {
	set := load(t)
	n := 0
	for _, o := range set {
		j, ok := o.Obj.(*batchv1.Job)
		if !ok {
			continue
		}
		n++
		for _, p := range set.CheckIndexedJob(j) {
			t.Errorf("%s: %s", o, p)
		}
		if files := set.JobFiles(j); j.Spec.Completions == nil || int(*j.Spec.Completions) != files {
			t.Errorf("%s: completions %v, but the ConfigMap holds %d job files", o, j.Spec.Completions, files)
		}
	}
	if n == 0 {
		t.Fatal("no Indexed Job")
	}
}

// TestFlagsExist runs `onboard run --help` and finds there every flag the
// manifests pass.
func TestFlagsExist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds onboard")
	}
	out, err := exec.Command("go", "tool", "onboard", "run", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("onboard run --help: %v\n%s", err, out)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z-]+)`).FindAllStringSubmatch(string(out), -1) {
		known[m[1]] = true
	}
	if !known["job"] || !known["log-format"] {
		t.Fatalf("could not read the flags of:\n%s", out)
	}
	for _, o := range load(t) {
		var ps corev1.PodSpec
		switch v := o.Obj.(type) {
		case *batchv1.CronJob:
			ps = v.Spec.JobTemplate.Spec.Template.Spec
		case *batchv1.Job:
			ps = v.Spec.Template.Spec
		default:
			continue
		}
		for _, f := range Flags(ps) {
			if !known[f] {
				t.Errorf("%s: onboard run has no flag --%s", o, f)
			}
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	const good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n"
	if _, err := Decode([]byte(good)); err != nil {
		t.Fatalf("a valid ConfigMap: %v", err)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", strings.Replace(good, "\ndata:", "\ndta:", 1), `unknown field "dta"`},
		{"case of a field", strings.Replace(good, "\ndata:", "\nData:", 1), `unknown field "Data"`},
		{"duplicate key", good + "data:\n  c: d\n", `"data" already set`},
		{"nested unknown", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  schedule: '0 2 * * *'\n  concurrency: Forbid\n", `unknown field "spec.concurrency"`},
		{"wrong type", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  startingDeadlineSeconds: soon\n", "cannot unmarshal"},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "not a kind this check knows"},
		{"no kind", "metadata: {name: x}\n", "apiVersion and kind are required"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "metadata.name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestChecksFind breaks the shipped manifests one property at a time and
// expects the checks to say so: a check that cannot fail proves nothing.
func TestChecksFind(t *testing.T) {
	set := load(t)
	var cron *batchv1.CronJob
	var indexed *batchv1.Job
	for _, o := range set {
		switch v := o.Obj.(type) {
		case *batchv1.CronJob:
			cron = v
		case *batchv1.Job:
			indexed = v
		}
	}
	if cron == nil || indexed == nil {
		t.Fatal("need the CronJob and the Indexed Job")
	}
	container := func(cj *batchv1.CronJob) *corev1.Container {
		return &cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	}
	pod := func(cj *batchv1.CronJob) *corev1.PodSpec { return &cj.Spec.JobTemplate.Spec.Template.Spec }
	setArg := func(c *corev1.Container, flag, value string) {
		for i, a := range c.Args {
			if a == flag {
				c.Args[i+1] = value
				return
			}
		}
		c.Args = append(c.Args, flag, value)
	}
	yes, no := true, false
	root := int64(0)
	for _, tc := range []struct {
		name   string
		break_ func(*batchv1.CronJob)
		want   string
	}{
		{"Allow", func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.AllowConcurrent }, "not Forbid"},
		{"no deadline", func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = nil }, "startingDeadlineSeconds"},
		{"no backoffLimit", func(cj *batchv1.CronJob) { cj.Spec.JobTemplate.Spec.BackoffLimit = nil }, "backoffLimit"},
		{"OnFailure", func(cj *batchv1.CronJob) { pod(cj).RestartPolicy = corev1.RestartPolicyOnFailure }, "not Never"},
		{"root", func(cj *batchv1.CronJob) { container(cj).SecurityContext.RunAsUser = &root }, "runAsUser"},
		{"nonroot off", func(cj *batchv1.CronJob) {
			container(cj).SecurityContext.RunAsNonRoot = nil
			pod(cj).SecurityContext.RunAsNonRoot = &no
		}, "runAsNonRoot"},
		{"writable root", func(cj *batchv1.CronJob) { container(cj).SecurityContext.ReadOnlyRootFilesystem = &no }, "readOnlyRootFilesystem"},
		{"escalation", func(cj *batchv1.CronJob) { container(cj).SecurityContext.AllowPrivilegeEscalation = &yes }, "allowPrivilegeEscalation"},
		{"capabilities", func(cj *batchv1.CronJob) { container(cj).SecurityContext.Capabilities = nil }, "capabilities"},
		{"no seccomp", func(cj *batchv1.CronJob) {
			container(cj).SecurityContext.SeccompProfile = nil
			pod(cj).SecurityContext.SeccompProfile = nil
		}, "seccompProfile"},
		{"no PVC", func(cj *batchv1.CronJob) {
			ps := pod(cj)
			for i := range ps.Volumes {
				if ps.Volumes[i].PersistentVolumeClaim != nil {
					ps.Volumes[i].PersistentVolumeClaim = nil
					ps.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
				}
			}
		}, "no PersistentVolumeClaim is mounted"},
		{"missing claim", func(cj *batchv1.CronJob) {
			for _, v := range pod(cj).Volumes {
				if v.PersistentVolumeClaim != nil {
					v.PersistentVolumeClaim.ClaimName = "nope"
				}
			}
		}, "no PersistentVolumeClaim nope"},
		{"no /tmp", func(cj *batchv1.CronJob) {
			c := container(cj)
			c.VolumeMounts = c.VolumeMounts[:len(c.VolumeMounts)-1]
		}, "no emptyDir at /tmp"},
		{"password in env", func(cj *batchv1.CronJob) {
			c := container(cj)
			for i := range c.Env {
				if c.Env[i].Name == "COGNIGY_PASSWORD" {
					c.Env[i].ValueFrom, c.Env[i].Value = nil, "hunter2"
				}
			}
		}, "reads ${COGNIGY_PASSWORD}, which no Secret supplies"},
		{"wrong secret key", func(cj *batchv1.CronJob) {
			c := container(cj)
			for i := range c.Env {
				if c.Env[i].ValueFrom != nil && c.Env[i].ValueFrom.SecretKeyRef != nil {
					c.Env[i].ValueFrom.SecretKeyRef.Key = "NOPE"
				}
			}
		}, "has no key NOPE"},
		{"text logs", func(cj *batchv1.CronJob) { setArg(container(cj), "--log-format", "text") }, "--log-format"},
		{"out in the ConfigMap", func(cj *batchv1.CronJob) { setArg(container(cj), "--out", "/job/out/$(POD_NAME)") }, "not on the PersistentVolumeClaim"},
		{"same out every night", func(cj *batchv1.CronJob) { setArg(container(cj), "--out", "/data/out") }, "same folder for every run"},
		{"undefined variable", func(cj *batchv1.CronJob) { setArg(container(cj), "--out", "/data/out/$(POD)") }, "$(POD)"},
		{"ledger in the ConfigMap", func(cj *batchv1.CronJob) { setArg(container(cj), "--ledger", "/job/x.ledger.db") }, "--ledger /job/x.ledger.db is not on"},
		{"no job file", func(cj *batchv1.CronJob) { setArg(container(cj), "--job", "/job/other.yaml") }, "has no other.yaml"},
		{"job not mounted", func(cj *batchv1.CronJob) { setArg(container(cj), "--job", "/etc/job.yaml") }, "not in a mounted ConfigMap"},
		{"no memory request", func(cj *batchv1.CronJob) { container(cj).Resources.Requests = nil }, "memory request and limit"},
		{"too little memory", func(cj *batchv1.CronJob) {
			container(cj).Resources.Requests[corev1.ResourceMemory] = resource.MustParse("32Mi")
		}, "below the 56Mi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cj := cron.DeepCopy()
			tc.break_(cj)
			got := strings.Join(set.CheckCronJob(cj), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want a problem with %q, got:\n%s", tc.want, got)
			}
		})
	}

	t.Run("not Indexed", func(t *testing.T) {
		j := indexed.DeepCopy()
		j.Spec.CompletionMode = nil
		if got := strings.Join(set.CheckIndexedJob(j), "\n"); !strings.Contains(got, "not Indexed") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("one job file for every index", func(t *testing.T) {
		j := indexed.DeepCopy()
		c := &j.Spec.Template.Spec.Containers[0]
		setArg(c, "--job", "/jobs/job.yaml")
		if got := strings.Join(set.CheckIndexedJob(j), "\n"); !strings.Contains(got, "JOB_COMPLETION_INDEX") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("shared ledger", func(t *testing.T) {
		j := indexed.DeepCopy()
		setArg(&j.Spec.Template.Spec.Containers[0], "--ledger", "/data/ledger/all.ledger.db")
		if got := strings.Join(set.CheckIndexedJob(j), "\n"); !strings.Contains(got, "share the ledger") {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("tenant secret missing", func(t *testing.T) {
		j := indexed.DeepCopy()
		j.Spec.Template.Spec.Containers[0].EnvFrom[0].Prefix = "X_"
		if got := strings.Join(set.CheckIndexedJob(j), "\n"); !strings.Contains(got, "which no Secret supplies") {
			t.Fatalf("got %q", got)
		}
	})
}

// TestLoadNamesTheFile: a bad manifest is named with its file and document.
func TestLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# second\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\nbogus: 1\n")
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "a.yaml, document 2") || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("got %v", err)
	}
}

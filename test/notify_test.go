package test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	"github.com/safeship/lambda-bluegreen/constructs/notify/formatter"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// teamID and tenantID are placeholder Microsoft Teams ids of the form CloudFormation takes.
const (
	teamID   = "0a1b2c3d-0000-4000-8000-000000000001"
	tenantID = "0a1b2c3d-0000-4000-8000-000000000002"
)

// logicalID returns the logical id of the one resource of type typ whose logical id and JSON contain every text of
// want.
func logicalID(t *testing.T, tmpl assertions.Template, typ string, want ...string) string {
	t.Helper()
	var found []string
	for id, r := range testkit.Resources(tmpl, typ) {
		js, ok := id+" "+testkit.JSONString(r), true
		for _, w := range want {
			ok = ok && strings.Contains(js, w)
		}
		if ok {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s with %q, got %v", typ, want, found)
	}
	return found[0]
}

// notifierFunction returns the logical id and definition of the notification function (the one with the topic in
// its environment).
func notifierFunction(t *testing.T, tmpl assertions.Template) (string, map[string]interface{}) {
	t.Helper()
	id := logicalID(t, tmpl, "AWS::Lambda::Function", formatter.TopicEnv)
	return id, testkit.Resources(tmpl, "AWS::Lambda::Function")[id]
}

func TestNotifyWiresRuleFunctionTopicAndChannels(t *testing.T) {
	stack := testkit.NewStack(t)
	api := testkit.Deploy(t, stack, "Api", nil)
	n := notify.New(stack, "Notifications", &notify.Props{
		Deployments: []bluegreen.Deployment{api},
		Emails:      []string{"team@example.com"},
		Slack:       &notify.SlackChannel{ConfigurationName: "deployments", WorkspaceID: "T0123ABCD", ChannelID: "C0123ABCD"},
		Teams: &notify.TeamsChannel{ConfigurationName: "deployments-teams", TeamID: teamID, TenantID: tenantID,
			ChannelID: "19%3achannel%40thread.tacv2"},
	})
	if n.Key() == nil || n.Slack() == nil || n.Teams() == nil || n.TeamsRole() == nil || len(n.EmailSubscriptions()) != 1 ||
		n.Rule() == nil || n.Function() == nil || n.Role() == nil || n.LogGroup() == nil || n.Topic() == nil ||
		n.UndeliveredAlarm() == nil {
		t.Fatalf("a defined resource is not exposed")
	}
	tmpl := testkit.Template(t, stack)
	testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup")
	appID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::Application")
	topicID, _ := testkit.OnlyResource(t, tmpl, "AWS::SNS::Topic")
	keyID, _ := testkit.OnlyResource(t, tmpl, "AWS::KMS::Key")
	fnID, fn := notifierFunction(t, tmpl)
	roleRef := testkit.Props(fn)["Role"]
	roleID := roleRef.(map[string]interface{})["Fn::GetAtt"].([]interface{})[0].(string)

	t.Run("an alarm says when a notice may be lost, late data allowed for", func(t *testing.T) {
		id := logicalID(t, tmpl, "AWS::CloudWatch::Alarm", "DestinationDeliveryFailures")
		a := testkit.Props(testkit.Resources(tmpl, "AWS::CloudWatch::Alarm")[id])
		if a["EvaluationPeriods"] != 3.0 || a["DatapointsToAlarm"] != 1.0 || a["Threshold"] != 1.0 ||
			a["TreatMissingData"] != "notBreaching" || a["AlarmActions"] != nil {
			t.Errorf("alarm %s", testkit.JSONString(a))
		}
		js := testkit.JSONString(a["Metrics"])
		for _, want := range []string{`"MetricName":"DestinationDeliveryFailures"`, `"MetricName":"AsyncEventsDropped"`,
			`"Ref":"` + fnID + `"`, `"Period":300`, "FILL(undelivered, 0) + FILL(dropped, 0)"} {
			if !strings.Contains(js, want) {
				t.Errorf("alarm metrics lack %s: %s", want, js)
			}
		}
	})

	t.Run("the rule matches the group's deployment state changes and invokes the function", func(t *testing.T) {
		ruleID, rule := onlyOwnResource(t, tmpl, "AWS::Events::Rule")
		pattern := testkit.Props(rule)["EventPattern"].(map[string]interface{})
		if got := testkit.JSONString(pattern["source"]); got != `["aws.codedeploy"]` {
			t.Errorf("source %s", got)
		}
		if got := testkit.JSONString(pattern["detail-type"]); got != `["CodeDeploy Deployment State-change Notification"]` {
			t.Errorf("detail-type %s", got)
		}
		// The notifier reports every group of the stack's application: the pattern names the application only.
		if got, want := testkit.JSONString(pattern["detail"]), `{"application":[{"Ref":"`+appID+`"}],"state":["START","SUCCESS","FAILURE","STOP"]}`; got != want {
			t.Errorf("detail %s, want %s", got, want)
		}
		if pattern["resources"] != nil {
			t.Errorf("resources %s, want none: the application names the groups", testkit.JSONString(pattern["resources"]))
		}
		targets := testkit.Props(rule)["Targets"].([]interface{})
		if len(targets) != 1 || testkit.JSONString(targets[0].(map[string]interface{})["Arn"]) != `{"Fn::GetAtt":["`+fnID+`","Arn"]}` {
			t.Errorf("targets %s, want the notification function", testkit.JSONString(targets))
		}
		testkit.HasResource(t, tmpl, "AWS::Lambda::Permission", testkit.Obj{
			"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
			"FunctionName": testkit.Obj{"Fn::GetAtt": testkit.Arr{fnID, "Arn"}}, "SourceArn": testkit.Obj{"Fn::GetAtt": testkit.Arr{ruleID, "Arn"}},
		})
	})

	t.Run("the function publishes to the topic, and its failures go there too", func(t *testing.T) {
		p := testkit.Props(fn)
		if p["Runtime"] != "provided.al2023" || testkit.JSONString(p["Architectures"]) != `["arm64"]` || p["MemorySize"] != 128.0 ||
			p["Timeout"] != 60.0 || p["ReservedConcurrentExecutions"] != nil {
			t.Errorf("function %s", testkit.JSONString(p))
		}
		if got := testkit.JSONString(p["Environment"]); got != `{"Variables":{"`+formatter.TopicEnv+`":{"Ref":"`+topicID+`"}}}` {
			t.Errorf("environment %s", got)
		}
		testkit.HasResource(t, tmpl, "AWS::Lambda::EventInvokeConfig", testkit.Obj{
			"FunctionName":      testkit.Obj{"Ref": fnID},
			"Qualifier":         "$LATEST",
			"DestinationConfig": testkit.Obj{"OnFailure": testkit.Obj{"Destination": testkit.Obj{"Ref": topicID}}},
		})
		logsID := logicalID(t, tmpl, "AWS::Logs::LogGroup", `"RetentionInDays":30`, "Notifications")
		if got := testkit.JSONString(p["LoggingConfig"]); !strings.Contains(got, logsID) {
			t.Errorf("logging config %s, want log group %s", got, logsID)
		}
	})

	t.Run("the role reads only its group and application and publishes only to the topic", func(t *testing.T) {
		got := actionsOn(statements(t, tmpl, roleID))
		want := map[string]string{
			"codedeploy:GetDeployment":          `":deploymentgroup:",{"Ref":"` + appID + `"},"/*"`,
			"codedeploy:GetDeploymentGroup":     `":deploymentgroup:",{"Ref":"` + appID + `"},"/*"`,
			"codedeploy:ListDeploymentTargets":  `"*"`, // no resource type in the Service Authorization Reference
			"codedeploy:GetDeploymentTarget":    `"*"`,
			"codedeploy:GetApplicationRevision": `:application:`,
			"cloudwatch:DescribeAlarms":         `"*"`,
			"sns:Publish":                       `{"Ref":"` + topicID + `"}`,
			"kms:Decrypt":                       keyID,
			"kms:GenerateDataKey*":              keyID,
			"logs:CreateLogStream":              "Notifications",
			"logs:PutLogEvents":                 "Notifications",
		}
		var gotActions, wantActions []string
		for a := range got {
			gotActions = append(gotActions, a)
		}
		for a := range want {
			wantActions = append(wantActions, a)
		}
		sort.Strings(gotActions)
		sort.Strings(wantActions)
		if strings.Join(gotActions, " ") != strings.Join(wantActions, " ") {
			t.Errorf("actions %v, want %v", gotActions, wantActions)
		}
		for a, text := range want {
			for _, r := range got[a] {
				if !strings.Contains(r, text) {
					t.Errorf("%s on %s, want a resource with %s", a, r, text)
				}
			}
		}
	})

	t.Run("the topic is encrypted with a rotated key the function may use through SNS only", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::SNS::Topic", testkit.Like(testkit.Obj{"KmsMasterKeyId": testkit.Obj{"Fn::GetAtt": testkit.Arr{keyID, "Arn"}}}))
		testkit.HasResource(t, tmpl, "AWS::KMS::Key", testkit.Like(testkit.Obj{
			"EnableKeyRotation": true,
			"KeyPolicy": testkit.Like(testkit.Obj{"Statement": testkit.ArrayWith(testkit.Like(testkit.Obj{
				"Effect":    "Allow",
				"Principal": testkit.Obj{"AWS": testkit.Obj{"Fn::GetAtt": testkit.Arr{roleID, "Arn"}}},
				"Action":    testkit.Arr{"kms:Decrypt", "kms:GenerateDataKey*"},
				"Condition": testkit.Obj{"StringEquals": testkit.Obj{"kms:ViaService": testkit.Obj{"Fn::Join": testkit.Arr{"", testkit.Arr{"sns.", testkit.Obj{"Ref": "AWS::Region"}, ".amazonaws.com"}}}}},
			}))}),
		}))
	})

	t.Run("the topic's policy denies every other publisher and plain HTTP", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::SNS::TopicPolicy", testkit.Obj{
			"Topics": testkit.Arr{testkit.Obj{"Ref": topicID}},
			"PolicyDocument": testkit.Like(testkit.Obj{"Statement": assertions.Match_ArrayEquals(&[]interface{}{
				testkit.Obj{"Sid": "AllowPublishThroughSSLOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
					"Resource": testkit.Obj{"Ref": topicID}, "Condition": testkit.Obj{"Bool": testkit.Obj{"aws:SecureTransport": "false"}}},
				testkit.Obj{"Sid": "OnlyTheNotificationFunctionPublishes", "Effect": "Deny", "Principal": "*",
					"Action": "sns:Publish", "Resource": testkit.Obj{"Ref": topicID},
					"Condition": testkit.Obj{"ArnNotEquals": testkit.Obj{"aws:PrincipalArn": testkit.Obj{"Fn::GetAtt": testkit.Arr{roleID, "Arn"}}}}},
			})}),
		})
	})

	t.Run("e-mail, Slack and Teams receive the topic", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::SNS::Subscription", testkit.Obj{
			"Protocol": "email", "Endpoint": "team@example.com", "TopicArn": testkit.Obj{"Ref": topicID},
		})
		guardrail := testkit.Arr{testkit.Obj{"Fn::Join": testkit.Arr{"", testkit.Arr{"arn:", testkit.Obj{"Ref": "AWS::Partition"}, ":iam::aws:policy/CloudWatchReadOnlyAccess"}}}}
		testkit.HasResource(t, tmpl, "AWS::Chatbot::SlackChannelConfiguration", testkit.Like(testkit.Obj{
			"ConfigurationName": "deployments", "SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123ABCD",
			"SnsTopicArns": testkit.Arr{testkit.Obj{"Ref": topicID}}, "GuardrailPolicies": guardrail,
		}))
		teamsRoleID := logicalID(t, tmpl, "AWS::IAM::Role", "chatbot.amazonaws.com", "Teams")
		testkit.HasResource(t, tmpl, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration", testkit.Like(testkit.Obj{
			"ConfigurationName": "deployments-teams", "TeamId": teamID, "TeamsTenantId": tenantID,
			"TeamsChannelId": "19%3achannel%40thread.tacv2", "SnsTopicArns": testkit.Arr{testkit.Obj{"Ref": topicID}},
			"IamRoleArn": testkit.Obj{"Fn::GetAtt": testkit.Arr{teamsRoleID, "Arn"}}, "GuardrailPolicies": guardrail,
		}))
		// The chat integration's roles carry no permission: the notices need none.
		for _, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
			if strings.Contains(testkit.JSONString(testkit.Props(p)["Roles"]), "Teams") || strings.Contains(testkit.JSONString(testkit.Props(p)["Roles"]), "Slack") {
				t.Errorf("a chat role has a policy: %s", testkit.JSONString(p))
			}
		}
	})
}

// A topic of your own is used as it is: no key, no policy of ours; the function may publish to it. Chosen states
// and groups added later reach the rule and the role.
func TestNotifyWithYourTopicAndLaterGroups(t *testing.T) {
	stack := testkit.NewStack(t)
	api := testkit.Deploy(t, stack, "Api", nil)
	worker := testkit.Deploy(t, stack, "Worker", nil)
	topic := awssns.NewTopic(stack, jsii.String("Alerts"), nil)
	n := notify.New(stack, "Notifications", &notify.Props{
		DeploymentGroups:    []awscodedeploy.ILambdaDeploymentGroup{api.DeploymentGroup()},
		Topic:               topic,
		Events:              []notify.Event{notify.Failed, notify.Stopped},
		ReservedConcurrency: intp(2),
	})
	n.AddDeployment(worker)
	n.AddDeployment(api) // twice: no second entry
	if n.Key() != nil || n.Topic() != awssns.ITopic(topic) {
		t.Errorf("with a topic of yours: key %v, topic %v", n.Key(), n.Topic())
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::KMS::Key", 0)
	testkit.CountIs(t, tmpl, "AWS::SNS::TopicPolicy", 0)
	topicID, _ := testkit.OnlyResource(t, tmpl, "AWS::SNS::Topic")
	_, fn := notifierFunction(t, tmpl)
	if testkit.Props(fn)["ReservedConcurrentExecutions"] != 2.0 {
		t.Errorf("reserved concurrency %v, want 2", testkit.Props(fn)["ReservedConcurrentExecutions"])
	}
	_, rule := onlyOwnResource(t, tmpl, "AWS::Events::Rule")
	pattern := testkit.Props(rule)["EventPattern"].(map[string]interface{})
	if got := testkit.JSONString(pattern["detail"]); got != `{"application":[{"Ref":"BlueGreenApplication0706B5EE"}],"state":["FAILURE","STOP"]}` {
		t.Errorf("detail %s", got)
	}
	roleID := testkit.Props(fn)["Role"].(map[string]interface{})["Fn::GetAtt"].([]interface{})[0].(string)
	got := actionsOn(statements(t, tmpl, roleID))
	if r := got["sns:Publish"]; len(r) != 1 || r[0] != `{"Ref":"`+topicID+`"}` {
		t.Errorf("sns:Publish on %v, want your topic", r)
	}
	if r := got["codedeploy:GetDeployment"]; len(r) != 1 || !strings.Contains(r[0], appGroups) {
		t.Errorf("codedeploy:GetDeployment on %v, want the application's groups", r)
	}
}

// A notifier of some of an application's groups matches their names too; of every group, the application only,
// so that its pattern does not grow with the number of groups (EventBridge's event pattern quota is 2,048
// characters: one group ARN is 195 to 230 resolved).
func TestNotifyPatternGrowsWithApplicationsNotGroups(t *testing.T) {
	for _, tc := range []struct {
		name       string
		notified   int
		wantGroups bool
	}{{"some groups", 2, true}, {"every group", 3, false}} {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			var ds []bluegreen.Deployment
			for i := 0; i < 3; i++ {
				ds = append(ds, testkit.Deploy(t, stack, fmt.Sprintf("Fn%d", i), nil))
			}
			notify.New(stack, "Notifications", &notify.Props{Deployments: ds[:tc.notified]})
			_, rule := onlyOwnResource(t, testkit.Template(t, stack), "AWS::Events::Rule")
			detail := testkit.Props(rule)["EventPattern"].(map[string]interface{})["detail"].(map[string]interface{})
			if got := testkit.JSONString(detail["application"]); got != `[{"Ref":"BlueGreenApplication0706B5EE"}]` {
				t.Errorf("application %s, want the stack's application", got)
			}
			groups := testkit.JSONString(detail["deploymentGroup"])
			if !tc.wantGroups {
				if detail["deploymentGroup"] != nil {
					t.Errorf("deploymentGroup %s, want none", groups)
				}
				return
			}
			for i := 0; i < 3; i++ {
				has := strings.Contains(groups, fmt.Sprintf(`{"Ref":"Fn%dDeploymentGroup`, i))
				if has != (i < tc.notified) {
					t.Errorf("deploymentGroup %s: group of Fn%d named %v, want %v", groups, i, has, i < tc.notified)
				}
			}
		})
	}
}

func TestNotifyRefusesBadProps(t *testing.T) {
	stack := testkit.NewStack(t)
	msg := testkit.MustPanic(t, func() {
		notify.New(stack, "Notifications", &notify.Props{Emails: []string{"nobody"}, Events: []notify.Event{"DONE"}})
	})
	for _, want := range []string{
		"TestStack/Notifications: invalid notify.Props:",
		"Deployments and DeploymentGroups must name at least one deployment group, got none",
		`Events[0] must be one of START, SUCCESS, FAILURE, STOP, READY, got "DONE"`,
		`Emails[0] must be an e-mail address, got "nobody"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if stack.Node().TryFindChild(jsii.String("Notifications")) != nil {
		t.Errorf("bad props left a half-defined construct")
	}
}

// With every option on, the cdk-nag packs the example runs find nothing unexplained.
func TestNotifyIsNagClean(t *testing.T) {
	stack := awscdk.NewStack(testkit.NewApp(t), jsii.String("Notified"), nil)
	api := testkit.Deploy(t, stack, "Api", nil)
	n := notify.New(stack, "Notifications", &notify.Props{
		Deployments: []bluegreen.Deployment{api},
		Emails:      []string{"team@example.com"},
		Slack:       &notify.SlackChannel{ConfigurationName: "deployments", WorkspaceID: "T0123ABCD", ChannelID: "C0123ABCD"},
		Teams: &notify.TeamsChannel{ConfigurationName: "deployments", TeamID: teamID, TenantID: tenantID,
			ChannelID: "19%3achannel%40thread.tacv2"},
	})
	// The packs over the notification resources only (their scope: a Go Notifier cannot be handed to the CDK as
	// it is): the test's bare function is not the subject.
	service.ApplyNag(n.Rule().Node().Scope())
	testkit.Template(t, stack)
	for _, e := range nagErrors(t, stack) {
		t.Error(e)
	}
	// The check can fail: the packs ran over the stack (the function has no X-Ray tracing, a warning).
	if len(testkit.SynthMessages(t, stack, "warning", regexp.MustCompile("Serverless-LambdaTracing"))) == 0 {
		t.Errorf("cdk-nag left no finding on the stack: its packs did not run")
	}
}

// The example's prod stacks notify; dev does not.
func TestNotifyExampleProdStack(t *testing.T) {
	_, example := sharedExample(t)
	if example.Prod.Notifier == nil || example.PipelineProd.Notifier == nil || example.Dev.Notifier != nil {
		t.Fatalf("notifiers: prod %v, pipeline prod %v, dev %v", example.Prod.Notifier, example.PipelineProd.Notifier, example.Dev.Notifier)
	}
	tmpl := testkit.Template(t, example.Prod.Stack)
	appID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::Application")
	_, rule := onlyOwnResource(t, tmpl, "AWS::Events::Rule")
	if !strings.Contains(testkit.JSONString(testkit.Props(rule)["EventPattern"]), `"application":[{"Ref":"`+appID+`"}]`) {
		t.Errorf("the prod rule does not match the service's group: %s", testkit.JSONString(rule))
	}
	testkit.CountIs(t, tmpl, "AWS::SNS::Topic", 1)
	testkit.CountIs(t, tmpl, "AWS::SNS::Subscription", 0)                              // no address given on the command line
	testkit.CountIs(t, testkit.Template(t, example.Dev.Stack), "AWS::Events::Rule", 1) // the release guard's only
}

// E-mail addresses and a Slack channel from the command line reach the example's prod stack.
func TestNotifyExampleTakesChannelsFromTheCommandLine(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{
		service.ContextNotifyEmails:   "a@example.com, b@example.com",
		service.ContextSlackWorkspace: "T0123ABCD", service.ContextSlackChannel: "C0123ABCD",
	})
	example := service.NewApp(app, testkit.RepoRoot, nil)
	tmpl := testkit.Template(t, example.Prod.Stack)
	testkit.CountIs(t, tmpl, "AWS::SNS::Subscription", 2)
	testkit.HasResource(t, tmpl, "AWS::SNS::Subscription", testkit.Like(testkit.Obj{"Protocol": "email", "Endpoint": "b@example.com"}))
	testkit.HasResource(t, tmpl, "AWS::Chatbot::SlackChannelConfiguration", testkit.Like(testkit.Obj{
		"ConfigurationName": "bluegreen-BlueGreenServiceProd", "SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123ABCD",
	}))
}

// Package cdkw holds no Go code: it tests prebuild.bash, the step of ./cdkw that builds the example app with
// progress before the CDK CLI runs it, with a fake go command that builds slowly.
package cdkw

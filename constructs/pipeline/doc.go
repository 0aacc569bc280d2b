// Package pipeline holds Pipeline, a CDK Pipelines pipeline for blue/green Lambda services: it takes the code from
// a CodeConnections connection or an S3 object, installs the pinned Go (checked against its published SHA-256),
// runs the project's tests, synthesizes with the pinned CDK CLI and fails on error-level findings of the cloud
// assembly's validation report before anything deploys; then it deploys each stage in order, optionally behind a
// manual approval, and checks after each stage that its blue/green deployments succeeded. It mutates itself when
// its own definition changes.
package pipeline

// Package provision turns approved requests into teams through Microsoft
// Graph, and keeps what it made compliant.
//
// Provisioning is a durable job per request (governance.ProvisionRequest)
// made of idempotent steps. Each step saves a checkpoint before and after
// the Graph call it makes, so a rerun — after a crash, a deploy, or an
// administrator's retry — resumes where the last run stopped and never
// creates a second team:
//
//  1. create: POST /teams with the channels, tabs, apps, settings and first
//     owners and members inline (one throttled call instead of one per
//     object). If the answer was lost, the team is looked up by display
//     name among groups created since the attempt began before anything
//     is created again.
//  2. wait: poll the teamsAsyncOperation. The job snoozes between polls,
//     so no worker is held while Teams works. A failed operation is
//     cleaned up (the half-made group deleted) and created again, twice
//     at most.
//  3. nickname: PATCH the group's mailNickname to the one the naming
//     policy derived (POST /teams cannot set it).
//  4. members: members/add in bulk for the people who did not fit inline.
//  5. complete: the request becomes completed, with its audit row and the
//     team.provisioned webhook, in one transaction.
//
// A step that cannot succeed (a permission missing, a template naming an
// app the tenant does not have) marks the request failed with a reason an
// administrator can act on; RequestService.RetryProvisioning runs the job
// again with the checkpoint kept.
package provision

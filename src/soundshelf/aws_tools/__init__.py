"""Tools for the AWS deployment (``soundshelf aws ...``): publishing the web app to the
stack's bucket, a monthly cost estimate, and the Lambda package build ``sam build`` runs.

Nothing here is imported by the app or the Lambda handlers."""

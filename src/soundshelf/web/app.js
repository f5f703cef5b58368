// Entry module of the web app. Shows whether the API answers.
const status = document.getElementById("server-status");

async function checkServer() {
  try {
    const response = await fetch("/api/health");
    const health = await response.json();
    status.textContent = `Server ${health.status} · ${health.backend} backend · v${health.version}`;
  } catch {
    status.textContent = "The server does not answer.";
  }
}

checkServer();
